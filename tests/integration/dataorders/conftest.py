"""Catalogues on disk imported as users of the service would, the API in-process and on a real
uvicorn server, and a staging worker the tests step by hand."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from orderdesk.app import create_app
from orderdesk.core.db import Database
from orderdesk.dataorders.service.catalogue import import_dataset, read_folder
from orderdesk.dataorders.tasks import StagingRules, StagingWorker
from orderdesk.settings import DataOrderSettings, Settings
from tests.conftest import Clock, Tokens
from tests.integration.dataorders.flow import MIB
from tests.support.serving import served


@pytest.fixture
async def catalog(database: Database, tmp_path: Path) -> Path:
    """Dataset `ds1`: products A (two files), B (one), and the top-level file `top.dat`."""
    root = tmp_path / "catalog"
    (root / "A").mkdir(parents=True)
    (root / "B").mkdir()
    (root / "A" / "a1.txt").write_text("alpha one\n")
    (root / "A" / "a2.csv").write_text("x,y\n")
    (root / "B" / "b1.txt").write_bytes(b"b" * 1000)
    (root / "top.dat").write_bytes(b"top")
    entries = await read_folder(root)
    async with database.transaction() as connection:
        await import_dataset(connection, "ds1", root, entries, now=datetime.now(UTC))
    return root


@pytest.fixture
async def big_catalog(database: Database, tmp_path: Path) -> Path:
    """Three products of one 1.1 MiB file each: with 1 MiB sub-orders, three sub-orders."""
    root = tmp_path / "big"
    for product in ("P1", "P2", "P3"):
        (root / product).mkdir(parents=True)
        (root / product / f"{product.lower()}.bin").write_bytes(os.urandom(MIB + MIB // 10))
    entries = await read_folder(root)
    async with database.transaction() as connection:
        await import_dataset(connection, "big", root, entries, now=datetime.now(UTC))
    return root


@pytest.fixture
def small_suborders(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"dataorders": DataOrderSettings(bucket_mb=1, max_suborders_per_user=2)}
    )


@pytest.fixture
async def http(
    small_suborders: Settings, database: Database, clock: Clock
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(small_suborders, clock=clock, database=database)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        yield client


@pytest.fixture
def worker(small_suborders: Settings, database: Database, clock: Clock) -> StagingWorker:
    rules = StagingRules(
        area=small_suborders.home / "dataorders",
        max_per_user=2,
        links_base_url=small_suborders.links_base_url,
    )
    return StagingWorker(database, rules, clock)


@pytest.fixture
def user(tokens: Tokens) -> dict[str, str]:
    return tokens.user("ola@example.com")


@pytest.fixture
async def live_server(small_suborders: Settings, database: Database, clock: Clock) -> AsyncIterator[str]:
    """The same API on a real uvicorn server (what a client cutting a download needs); its base URL."""
    app = create_app(small_suborders, clock=clock, database=database)
    async with served(app) as base_url:
        yield base_url
