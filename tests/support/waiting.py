"""Waiting for what a client would see, without sleeps that decide the outcome."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

Found = TypeVar("Found")


async def eventually(
    probe: Callable[[], Awaitable[Found | None]], *, what: str, within: float = 10.0, every: float = 0.05
) -> Found:
    """What `probe` returned once it was neither None nor False (True, a row, a message), asked every
    `every` seconds; AssertionError naming `what` when `within` seconds pass first."""
    deadline = time.monotonic() + within
    while True:
        found = await probe()
        if found is not None and found is not False:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {within:g} s")
        await asyncio.sleep(every)
