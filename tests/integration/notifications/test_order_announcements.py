"""A registered order wakes the workers of other processes on PostgreSQL (their LISTEN)."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from orderdesk.core import topics
from orderdesk.core.db import Database
from orderdesk.core.wakeup import CHANNEL
from tests.factories.notifications import email_order
from tests.support.notifications_api import API
from tests.support.statements import counting_statements


async def test_orders_placed_at_once__workers_elsewhere_hear_of_each(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database, backend: str
) -> None:
    if backend != "postgres":
        pytest.skip("SQLite has no notifications between processes")
    dsn = make_url(database.engine.url).set(drivername="postgresql").render_as_string(hide_password=False)
    listener = await asyncpg.connect(dsn)
    heard: list[str] = []
    first = asyncio.Event()

    def hear(_connection: Any, _pid: int, _channel: str, payload: str) -> None:
        heard.append(payload)
        first.set()

    try:
        await listener.add_listener(CHANNEL, hear)
        answers = await asyncio.gather(
            *(client.post(f"{API}/orders/email", json=email_order(), headers=auth) for _ in range(20))
        )
        await asyncio.wait_for(first.wait(), timeout=10)
        await asyncio.sleep(0.5)  # the others' notifications
    finally:
        await listener.close()

    assert [answer.status_code for answer in answers] == [202] * 20
    assert heard == [topics.NOTIFICATION_ORDERS] * 20


async def test_order_placed_on_postgres__stored_and_announced_in_one_statement(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database, backend: str
) -> None:
    if backend != "postgres":
        pytest.skip("SQLite has no notifications between processes")

    async with counting_statements(database) as statements:
        placed = await client.post(f"{API}/orders/email", json=email_order(), headers=auth)

    assert placed.status_code == 202, placed.text
    [statement] = statements
    assert "INSERT INTO notification_order" in statement
    assert "pg_notify" in statement
