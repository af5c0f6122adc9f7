"""The service as it runs in production, in the test's event loop: the API with its workers beside it
(as `orderdesk serve`), on the test's database."""

from __future__ import annotations

from collections.abc import AsyncIterator
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
