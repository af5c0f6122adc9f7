"""Bursts that must land inside one fixed rate-limit window, however busy the machine."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

Result = TypeVar("Result")

ATTEMPTS = 5
"""A burst slower than its window proves nothing either way, so it is sent again, this many times at most."""


async def within_one_window(send: Callable[[], Awaitable[Result]], *, window_seconds: float = 1.0) -> Result:
    """What `send` returned, from an attempt that finished well inside one window.

    A fixed window opens at its first call, so a burst that takes less than the window from its first
    call to its last fits in one. An attempt that took longer is not judged: the window it opened is
    left to end and the burst is sent again. Fails if no attempt was fast enough.
    """
    for _ in range(ATTEMPTS):
        started = time.monotonic()
        result = await send()
        if time.monotonic() - started < 0.9 * window_seconds:
            return result
        await asyncio.sleep(window_seconds)
    raise AssertionError(f"no burst of {ATTEMPTS} finished within {window_seconds} s on this machine")
