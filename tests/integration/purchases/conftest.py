"""The purchase API in-process, a registered client, the catalogue, and the workers stepped by hand."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from orderdesk.app import create_app
from orderdesk.core.db import Database
from orderdesk.core.outbound import OutboundClient
from orderdesk.purchases.tasks.callbacks import CallbackRules, CallbackWorker
from orderdesk.purchases.tasks.fulfilment import FulfilmentWorker
from orderdesk.settings import PurchaseSettings, Settings
from tests.conftest import Clock
from tests.support.purchases_api import Caller, load_catalog, register_caller

UNLIMITED = PurchaseSettings(rate_limit_per_second=1_000_000, rate_limit_per_minute=1_000_000)
"""For tests that set up more orders than a client may register in a second."""


@pytest.fixture
async def unlimited(settings: Settings, database: Database, clock: Clock) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings.model_copy(update={"purchases": UNLIMITED}), clock=clock, database=database)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        yield http


@pytest.fixture
async def caller(client: httpx.AsyncClient, database: Database) -> Caller:
    await load_catalog(database)
    return await register_caller(client, database)


@pytest.fixture
def fulfilment(database: Database, clock: Clock) -> FulfilmentWorker:
    return FulfilmentWorker(database, clock, batch=50, poll_seconds=1.0)


@pytest.fixture
async def callbacks(database: Database, clock: Clock, settings: Settings) -> AsyncIterator[CallbackWorker]:
    worker = CallbackWorker(
        database,
        CallbackRules(
            attempts=3,
            retry_base_seconds=10,
            retry_max_seconds=60,
            lease_seconds=30,
            timeout_seconds=5,
            poll_seconds=1,
        ),
        clock,
        OutboundClient(settings.outbound.policy),
    )
    yield worker
    await worker.aclose()
