"""Liveness and readiness over HTTP: live answers without the database; ready names what is not
ready (migrations behind the code, no fresh worker heartbeat when workers are expected) with 503."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from orderdesk.app import create_app
from orderdesk.core.activity import Activity
from orderdesk.core.db import Database
from orderdesk.core.heartbeat import Heartbeat, HeartbeatRules
from orderdesk.migrations import runner
from orderdesk.settings import Settings
from tests.conftest import POSTGRES_URL, Clock
from tests.support.processes import fresh_postgres_database


async def _client(settings: Settings, database: Database, clock: Clock) -> httpx.AsyncClient:
    app = create_app(settings, clock=clock, database=database)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


@pytest.fixture
async def behind_database(backend: str, tmp_path: Path, worker_id: str) -> AsyncIterator[Database]:
    """A database of its own migrated to the revision before 0009, as after an upgrade of the code
    that did not run `orderdesk migrate`."""
    if backend == "postgres":
        url = await fresh_postgres_database(POSTGRES_URL, f"behind_{worker_id}")
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'behind.db'}"
    database = Database.from_url(url, pool_size=2)
    await runner.upgrade(database, "0008")
    yield database
    await database.dispose()


async def test_live__answers_without_asking_the_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "alive"}


async def test_ready__database_and_migrations_ok__workers_not_expected(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/ready")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "migrations": "ok", "workers": "not expected"},
    }
    assert (await client.get("/health")).status_code == 200  # the old check is kept


async def test_ready__migrations_behind_the_code__503_naming_migrations(
    settings: Settings, behind_database: Database, clock: Clock
) -> None:
    async with await _client(settings, behind_database, clock) as http:
        response = await http.get("/health/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    assert body["notReady"] == ["migrations"]
    assert body["checks"]["migrations"] == f"at 0008, head is {runner.head_revision()}"


async def test_ready__external_workers_expected__503_until_a_heartbeat__again_once_it_is_stale(
    settings: Settings, database: Database, clock: Clock
) -> None:
    settings = settings.model_copy(
        update={"worker": settings.worker.model_copy(update={"expect_external": True})}
    )
    clock.stop()
    async with await _client(settings, database, clock) as http:
        none_yet = await http.get("/health/ready")
        assert none_yet.status_code == 503
        assert none_yet.json()["notReady"] == ["workers"]
        assert none_yet.json()["checks"]["workers"] == "no worker heartbeat"

        rules = HeartbeatRules(interval=timedelta(seconds=2), stale_after=timedelta(seconds=10))
        await Heartbeat(database, rules, clock, Activity(clock), []).beat()
        fresh = await http.get("/health/ready")
        assert fresh.status_code == 200, fresh.text
        assert fresh.json()["checks"]["workers"] == "ok"

        clock.advance(timedelta(seconds=30))
        stale = await http.get("/health/ready")
    assert stale.status_code == 503
    assert stale.json()["notReady"] == ["workers"]
    assert stale.json()["checks"]["workers"] == "last worker heartbeat 30 s ago"
