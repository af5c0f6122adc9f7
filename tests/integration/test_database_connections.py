"""Pooled connections the database server closed are never handed to a request (PostgreSQL).

A restart of PostgreSQL, an administrator's `pg_terminate_backend` or an idle timeout closes the
connections orderdesk keeps in its pools; the next requests must be answered, not fail with 500.
"""

from __future__ import annotations

import asyncio

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from orderdesk.core.db import Database
from tests.factories.notifications import email_order
from tests.integration.notifications.api import API


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
