"""Connections to the database: closed ones are never handed to a request, a database that refuses
one is a 503 with `Retry-After` (never a 500), and a process never opens more than its setting.

A restart of PostgreSQL, an administrator's `pg_terminate_backend` or an idle timeout closes the
connections orderdesk keeps in its pools; the next requests must be answered, not fail with 500.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from orderdesk.app import create_app
from orderdesk.core.db import APPLICATION_NAME, Database
from orderdesk.settings import DatabaseSettings, Settings
from tests.conftest import POSTGRES_URL, Tokens
from tests.factories.notifications import email_order
from tests.support.notifications_api import API
from tests.support.processes import fresh_postgres_database, run_orderdesk, serving, wait_until_healthy
from tests.support.workers import free_port

REFUSING_ROLE = "orderdesk_test_refused"


async def _terminate_every_connection(database: Database) -> int:
    """What a server restart does to this database's connections, from a connection of its own."""
    dsn = make_url(database.engine.url).set(drivername="postgresql")
    admin = await asyncpg.connect(dsn.render_as_string(hide_password=False))
    try:
        terminated: int = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await admin.close()
    return terminated


async def test_pooled_connections_closed_by_the_server__next_requests_answered(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database, backend: str
) -> None:
    if backend != "postgres":
        pytest.skip("SQLite has no server to close connections")
    placed = await client.post(f"{API}/orders/email", json=email_order(), headers=auth)
    assert placed.status_code == 202, placed.text
    status_url = f"{API}/orders/{placed.json()['orderId']}/status"
    # Several at once, so that both pools (transactions and reads) hold more than one connection.
    warm = await asyncio.gather(*(client.get(status_url, headers=auth) for _ in range(8)))
    assert [answer.status_code for answer in warm] == [200] * 8

    assert await _terminate_every_connection(database) > 0
    await asyncio.sleep(0.2)  # the server's goodbye reaches the pooled sockets

    reads = await asyncio.gather(*(client.get(status_url, headers=auth) for _ in range(8)))
    again = await client.post(f"{API}/orders/email", json=email_order(), headers=auth)

    assert [answer.status_code for answer in reads] == [200] * 8
    assert again.status_code == 202, again.text


async def _admin() -> asyncpg.Connection:
    dsn = make_url(POSTGRES_URL).set(drivername="postgresql", database="postgres")
    connection: asyncpg.Connection = await asyncpg.connect(dsn.render_as_string(hide_password=False))
    return connection


@pytest.fixture
async def refusing_url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """A database URL the database refuses to connect: PostgreSQL with a role whose connection limit
    is used up (`too many connections for role`), SQLite with a file that cannot be opened."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'missing-folder' / 'orderdesk.db'}"
        return
    admin = await _admin()
    try:
        await admin.execute(f"DROP ROLE IF EXISTS {REFUSING_ROLE}")
        await admin.execute(f"CREATE ROLE {REFUSING_ROLE} LOGIN CONNECTION LIMIT 0")
        yield make_url(POSTGRES_URL).set(username=REFUSING_ROLE).render_as_string(hide_password=False)
    finally:
        await admin.execute(f"DROP ROLE IF EXISTS {REFUSING_ROLE}")
        await admin.close()


async def _answers_of_a_refused_database(
    url: str, home: Path, tokens: Tokens
) -> tuple[httpx.Response, httpx.Response, httpx.Response]:
    """A notification read, a data-order list and a purchase-API call against a server on `url`
    (`home` holds the key the tokens are signed with)."""
    settings = Settings(home=home, database=DatabaseSettings(url=url, pool_size=2, pool_timeout_seconds=2))
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        notification = await http.get(f"{API}/orders/{uuid.uuid4()}", headers=tokens.bearer("ttd"))
        data_orders = await http.get("/api/v1/rs-order/user/orders", headers=tokens.user())
        purchases = await http.get("/capi/v1/client/order/status/1", headers=tokens.client("shop"))
    return notification, data_orders, purchases


def _assert_service_unavailable(
    notification: httpx.Response, data_orders: httpx.Response, purchases: httpx.Response
) -> None:
    for problem in (notification, data_orders):
        assert (problem.status_code, problem.headers["content-type"]) == (503, "application/problem+json")
        assert problem.json()["status"] == 503
        assert int(problem.headers["retry-after"]) > 0
    assert purchases.status_code == 503, purchases.text
    assert purchases.json()["exceptionType"] == "ServiceUnavailableException"
    assert int(purchases.headers["retry-after"]) > 0


async def test_database_refuses_connections__503_with_retry_after_in_each_family(
    refusing_url: str, home: Path, tokens: Tokens
) -> None:
    _assert_service_unavailable(*await _answers_of_a_refused_database(refusing_url, home, tokens))


async def test_database_url_to_a_closed_port__503_with_retry_after_in_each_family(
    home: Path, tokens: Tokens
) -> None:
    url = f"postgresql+asyncpg://orderdesk@127.0.0.1:{free_port()}/orderdesk"
    _assert_service_unavailable(*await _answers_of_a_refused_database(url, home, tokens))


async def _connections_of(admin: asyncpg.Connection, database: str) -> int:
    count: int = await admin.fetchval(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND application_name = $2",
        database,
        APPLICATION_NAME,
    )
    return count


@pytest.mark.slow
async def test_serve_burst__connections_stay_within_the_pool_setting(tmp_path: Path, backend: str) -> None:
    if backend != "postgres":
        pytest.skip("SQLite has no connections to count")
    pool_size = 4
    url = await fresh_postgres_database(POSTGRES_URL, "burst")
    env = {"ORDERDESK_DATABASE_URL": url, "ORDERDESK_DATABASE_POOL_SIZE": str(pool_size)}
    minted = run_orderdesk(tmp_path, "token", "--org", "ttd")
    assert minted.returncode == 0, minted.stderr
    auth = {"Authorization": f"Bearer {minted.stdout.strip()}"}
    admin = await _admin()
    seen: list[int] = []
    try:
        with serving(tmp_path, env) as server:  # the API and its workers, sharing one pool
            await wait_until_healthy(server)
            async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as http:

                async def place_and_read() -> list[int]:
                    placed = await http.post(f"{API}/orders/email", json=email_order(), headers=auth)
                    if placed.status_code != 202:
                        return [placed.status_code]
                    order = f"{API}/orders/{placed.json()['orderId']}"
                    reads = [await http.get(f"{order}{suffix}", headers=auth) for suffix in ("", "/status")]
                    return [placed.status_code, *(read.status_code for read in reads)]

                burst = asyncio.gather(*(place_and_read() for _ in range(40)))
                while not burst.done():
                    seen.append(await _connections_of(admin, make_url(url).database or ""))
                    await asyncio.sleep(0.02)
                statuses = [status for answers in await burst for status in answers]
    finally:
        await admin.close()

    assert set(statuses) <= {200, 202, 503}, statuses
    assert statuses.count(503) < len(statuses)
    # the pool, and the workers' wake-up listener (LISTEN holds a connection of its own)
    assert max(seen) <= pool_size + 1, seen
