"""Counting rows per status at a bounded cost (core.db.tally_by), on SQLite and PostgreSQL: exact up to
the cap; past it, PostgreSQL's planner estimate (never below the cap) and SQLite's exact count."""

from __future__ import annotations

import httpx
from sqlalchemy import text

from orderdesk.core.db import Database, Tally, tally_by
from orderdesk.notifications.tables import notification_order
from tests.factories.notifications import order
from tests.support.notifications_api import place


async def test_tally_by__past_the_cap__estimated_on_postgresql__counted_on_sqlite(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database, backend: str
) -> None:
    for _ in range(3):
        await place(client, auth, "/orders", order())
    if backend == "postgres":
        async with database.autocommit() as connection:
            await connection.execute(text("ANALYZE notification_order"))

    async with database.read() as connection:
        tallies = await tally_by(
            connection, notification_order.c.processing_status, ["Registered", "Completed"], cap=1
        )

    assert tallies["Completed"] == Tally(0, exact=True)
    registered = tallies["Registered"]
    if backend == "postgres":
        assert not registered.exact
        assert registered.count >= 2
    else:
        assert registered == Tally(3, exact=True)


async def test_tally_by__within_the_cap__exact_on_both(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database
) -> None:
    await place(client, auth, "/orders", order())

    async with database.read() as connection:
        tallies = await tally_by(connection, notification_order.c.processing_status, ["Registered"], cap=10)

    assert tallies == {"Registered": Tally(1, exact=True)}
