"""The service as it runs in production, in the test's event loop: the API with its workers beside it
(as `orderdesk serve`), on the test's database, and a way to wait for what a client would see."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import httpx

from orderdesk.app import create_app
from orderdesk.core.db import Database
from orderdesk.settings import Settings


@asynccontextmanager
async def serving(settings: Settings, database: Database) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of the API while its workers run; they stop (gracefully) on the way out."""
    app = create_app(settings, database=database, run_workers=True)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http,
    ):
        yield http


async def eventually(check: Callable[[], Awaitable[bool]], *, within: float, what: str) -> float:
    """Wait until `check` holds; the seconds it took. AssertionError naming `what` past `within`."""
    start = time.monotonic()
    while time.monotonic() - start < within:
        if await check():
            return time.monotonic() - start
        await asyncio.sleep(0.1)
    raise AssertionError(f"{what}: not within {within:g} s")
