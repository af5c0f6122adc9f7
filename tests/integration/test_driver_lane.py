"""The lane of PostgreSQL connections lent to single statements (status reads): never more
connections than its size, none lost or left mid-statement, closed ones replaced, a wait that ends in
DatabaseUnavailable (503) rather than for ever. Against a real PostgreSQL server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from orderdesk.core.db import APPLICATION_NAME, create_engine
from orderdesk.core.driver_lane import DriverLane
from orderdesk.core.errors import DatabaseUnavailable
from tests.conftest import POSTGRES_URL
from tests.support.processes import fresh_postgres_database

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="needs PostgreSQL (ORDERDESK_TEST_POSTGRES_URL)")

PID = "SELECT pg_backend_pid()"


@pytest.fixture
async def url() -> str:
    return await fresh_postgres_database(POSTGRES_URL, "lane")


@pytest.fixture
async def admin(url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(make_url(url).set(drivername="postgresql").render_as_string(False))
    try:
        yield connection
    finally:
        await connection.close()


async def _lane(url: str, size: int, *, timeout: float = 10.0, recycle: float = 1800.0) -> DriverLane:
    return DriverLane(create_engine(url, pool_size=size, autocommit=True), size, timeout, recycle)


async def _closed(lane: DriverLane) -> None:
    await lane.close()
    await lane.engine.dispose()


async def _backends(admin: asyncpg.Connection) -> list[asyncpg.Record]:
    """The lane's connections as the server sees them (the admin connection has no application name)."""
    rows: list[asyncpg.Record] = await admin.fetch(
        "SELECT pid, state, query FROM pg_stat_activity"
        " WHERE datname = current_database() AND application_name = $1",
        APPLICATION_NAME,
    )
    return rows


async def test_more_statements_at_once_than_connections__all_answered_on_at_most_size_connections(
    url: str, admin: asyncpg.Connection
) -> None:
    lane = await _lane(url, 2)
    seen: list[int] = []

    async def watch() -> None:
        while True:
            seen.append(len(await _backends(admin)))
            await asyncio.sleep(0.01)

    watcher = asyncio.create_task(watch())
    try:
        statements = (lane.fetchrow("SELECT $1::int, pg_sleep(0.02)", [n]) for n in range(30))
        rows = await asyncio.gather(*statements)
    finally:
        watcher.cancel()
        await _closed(lane)
    assert [row[0] for row in rows] == list(range(30))
    assert max(seen) <= 2, seen
    assert lane.held == 0


async def test_statement_refused_by_the_server__connection_kept(url: str) -> None:
    lane = await _lane(url, 1)
    try:
        before = (await lane.fetchrow(PID, []))[0]
        with pytest.raises(asyncpg.DivisionByZeroError):
            await lane.fetchrow("SELECT 1 / 0", [])
        after = (await lane.fetchrow(PID, []))[0]
    finally:
        await _closed(lane)
    assert after == before


async def test_statement_cancelled_mid_way__cancelled_on_the_server_and_the_connection_reused(
    url: str, admin: asyncpg.Connection
) -> None:
    lane = await _lane(url, 1)
    try:
        first = (await lane.fetchrow(PID, []))[0]
        sleeping = asyncio.create_task(lane.fetchrow("SELECT pg_sleep(30)", []))
        await asyncio.sleep(0.2)
        sleeping.cancel()
        with pytest.raises(asyncio.CancelledError):
            await sleeping
        second = (await lane.fetchrow(PID, []))[0]
        backends = await _backends(admin)
    finally:
        await _closed(lane)
    assert second == first
    assert [(backend["pid"], backend["state"]) for backend in backends] == [(first, "idle")]
    assert lane.held == 0


async def test_every_connection_busy_past_the_timeout__database_unavailable_then_served_again(
    url: str,
) -> None:
    lane = await _lane(url, 1, timeout=0.3)
    try:
        busy = asyncio.create_task(lane.fetchrow("SELECT pg_sleep(1)", []))
        await asyncio.sleep(0.1)
        waiting = []
        for _ in range(3):  # each waits its own 0.3 s, one timer serving them in turn
            waiting.append(asyncio.create_task(lane.fetchrow("SELECT 1", [])))
            await asyncio.sleep(0.1)
        for statement in waiting:
            with pytest.raises(DatabaseUnavailable):
                await statement
        await busy
        assert (await lane.fetchrow("SELECT 2", []))[0] == 2
    finally:
        await _closed(lane)


async def test_waiting_statement_cancelled__the_connection_goes_to_the_next(url: str) -> None:
    lane = await _lane(url, 1)
    try:
        busy = asyncio.create_task(lane.fetchrow("SELECT pg_sleep(0.3)", []))
        await asyncio.sleep(0.05)
        given_up = asyncio.create_task(lane.fetchrow("SELECT 1", []))
        patient = asyncio.create_task(lane.fetchrow("SELECT 2", []))
        await asyncio.sleep(0.05)
        given_up.cancel()
        await busy
        assert (await patient)[0] == 2
        assert given_up.cancelled()
        assert (await lane.fetchrow("SELECT 3", []))[0] == 3
        assert lane.held == 1
    finally:
        await _closed(lane)


async def test_connection_closed_by_the_server__next_statement_on_a_new_one(
    url: str, admin: asyncpg.Connection
) -> None:
    lane = await _lane(url, 2)
    try:
        first = (await lane.fetchrow(PID, []))[0]
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", first)
        await asyncio.sleep(0.2)  # the server's goodbye reaches the socket
        second = (await lane.fetchrow(PID, []))[0]
    finally:
        await _closed(lane)
    assert second != first


async def test_connection_older_than_recycling__replaced(url: str) -> None:
    engine = create_async_engine(
        url, pool_size=1, max_overflow=0, pool_recycle=0.3, isolation_level="AUTOCOMMIT"
    )
    lane = DriverLane(engine, 1, 10.0, 0.3)
    try:
        first = (await lane.fetchrow(PID, []))[0]
        again = (await lane.fetchrow(PID, []))[0]
        await asyncio.sleep(0.4)
        aged = (await lane.fetchrow(PID, []))[0]  # given back too old: replaced at the next take
        renewed = (await lane.fetchrow(PID, []))[0]
    finally:
        await _closed(lane)
    assert again == first == aged
    assert renewed != first


async def test_closed_lane__connections_handed_back_and_none_left_open(
    url: str, admin: asyncpg.Connection
) -> None:
    lane = await _lane(url, 3)
    await asyncio.gather(*(lane.fetchrow("SELECT pg_sleep(0.05)", []) for _ in range(3)))
    assert len(await _backends(admin)) == 3
    await _closed(lane)
    await asyncio.sleep(0.1)
    assert await _backends(admin) == []
    with pytest.raises(DatabaseUnavailable):
        await lane.fetchrow("SELECT 1", [])


async def test_lane_closed_while_a_statement_runs__that_connection_ended_when_it_returns(
    url: str, admin: asyncpg.Connection
) -> None:
    lane = await _lane(url, 1)
    running = asyncio.create_task(lane.fetchrow("SELECT pg_sleep(0.3)", []))
    await asyncio.sleep(0.1)
    await lane.close()
    await running
    await lane.engine.dispose()
    await asyncio.sleep(0.2)
    assert await _backends(admin) == []
