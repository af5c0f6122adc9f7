"""The claims of the work queue: the scheduler's fair claim of due orders (each creator's share, the
earliest first) and the dispatchers' claim of due notifications, each at a cost that does not grow
with the backlog. An order claim that ranked every due order took over a second at a few thousand
due on PostgreSQL, so a worker that fell behind never caught up again; a notification claim sorted
every due notification of a large order, each batch (issue 19)."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import Table, Update, insert, text
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.core.db import Database
from orderdesk.notifications.models import Channel, ClaimedOrder
from orderdesk.notifications.repository import queue
from orderdesk.notifications.tables import notification_email, notification_order
from tests.conftest import Clock

LEASE = timedelta(minutes=5)
PER_CREATOR = 5
PENDING_INDEX = "ix_notification_order_pending_creator_due_at"
STATUS_DUE_AT = "ix_notification_email_status_due_at"
ROWS_READ = re.compile(r"actual time=\S+ rows=(\d+)")


def _rows(creator: str, due: Iterable[datetime], status: str = "Registered") -> list[dict[str, Any]]:
    return [
        {
            "id": uuid.uuid4(),
            "creator": creator,
            "requested_send_at": at,
            "created_at": at,
            "notification_channel": "Email",
            "sending_time_policy": "Anytime",
            "recipients": [],
            "processing_status": status,
            "status_changed_at": at,
            "due_at": at,
        }
        for at in due
    ]


async def _store(database: Database, rows: list[dict[str, Any]], table: Table = notification_order) -> None:
    async with database.transaction() as connection:
        for start in range(0, len(rows), 1000):
            await connection.execute(insert(table), rows[start : start + 1000])


async def _claim(
    database: Database, now: datetime, limit: int = 10, room: dict[str, int] | None = None
) -> list[ClaimedOrder]:
    async with database.transaction() as connection:
        return await queue.claim_due_orders(
            connection, now=now, limit=limit, lease=LEASE, per_creator=PER_CREATOR, creator_room=room
        )


def _seconds_before(now: datetime, *seconds: int) -> list[datetime]:
    return [now - timedelta(seconds=s) for s in seconds]


async def test_one_creators_backlog__a_claim_takes_its_share__and_everybody_elses_earliest(
    database: Database, clock: Clock
) -> None:
    now = clock()
    backlog = _rows("big", _seconds_before(now, *range(3000, 10, -1)))  # the earliest due, by far
    others = [
        *_rows("small", _seconds_before(now, 5)),
        *_rows("pair", _seconds_before(now, 4, 3)),
        *_rows("later", [now + timedelta(hours=1)]),  # not due yet
        *_rows("done", _seconds_before(now, 6000), status="Completed"),
    ]
    await _store(database, backlog + others)

    claims = await _claim(database, now)

    assert Counter(c.order.creator for c in claims) == {"big": PER_CREATOR, "small": 1, "pair": 2}
    big = [c.order.id for c in claims if c.order.creator == "big"]
    assert big == [row["id"] for row in backlog[:PER_CREATOR]]  # its earliest, in due order


async def test_creator_room__a_creator_busy_elsewhere_gets_only_its_room__one_with_none_nothing(
    database: Database, clock: Clock
) -> None:
    now = clock()
    await _store(
        database,
        [
            *_rows("big", _seconds_before(now, *range(100, 0, -1))),
            *_rows("full", _seconds_before(now, 200, 150)),
            *_rows("small", _seconds_before(now, 300)),
        ],
    )

    claims = await _claim(database, now, room={"big": 2, "full": 0})

    assert Counter(c.order.creator for c in claims) == {"big": 2, "small": 1}


async def test_many_creators__the_earliest_due_of_all_of_them__up_to_the_limit(
    database: Database, clock: Clock
) -> None:
    now = clock()
    rows = [row for index in range(30) for row in _rows(f"org{index:02}", _seconds_before(now, 100 - index))]
    await _store(database, rows)

    claims = await _claim(database, now, limit=10)

    assert [c.order.creator for c in claims] == [f"org{index:02}" for index in range(10)]


async def test_processing_orders__taken_over_once_their_lease_ran_out__not_before(
    database: Database, clock: Clock
) -> None:
    now = clock()
    lapsed = _rows("ttd", _seconds_before(now, 10), status="Processing")
    running = _rows("ttd", [now + timedelta(minutes=1)], status="Processing")
    await _store(database, lapsed + running)

    claims = await _claim(database, now)

    assert [c.order.id for c in claims] == [lapsed[0]["id"]]


async def test_two_claims_at_once__take_different_orders__none_twice(
    database: Database, clock: Clock
) -> None:
    now = clock()
    await _store(
        database,
        [row for creator in ("a", "b", "c") for row in _rows(creator, _seconds_before(now, 30, 20, 10))],
    )
    first_holding = asyncio.Event()
    release_first = asyncio.Event()

    async def first() -> list[UUID]:
        async with database.transaction() as connection:
            claims = await queue.claim_due_orders(
                connection, now=now, limit=4, lease=LEASE, per_creator=PER_CREATOR
            )
            first_holding.set()
            await release_first.wait()  # its locks held while the second claims
        return [c.order.id for c in claims]

    async def second() -> list[UUID]:
        await first_holding.wait()
        pending = asyncio.ensure_future(_claim(database, now, limit=4))
        await asyncio.sleep(0.2)  # SQLite: waits for the first to commit; PostgreSQL: skips its rows
        release_first.set()
        return [c.order.id for c in await pending]

    taken = await asyncio.gather(first(), second())

    assert len(taken[0]) == 4
    assert len(taken[1]) == 4
    assert not set(taken[0]) & set(taken[1])


async def test_claim_plan__reads_the_pending_index__not_the_backlog(
    database: Database, backend: str, clock: Clock
) -> None:
    """The plan each database chooses, with many orders done and a backlog that grew after the last
    statistics were taken (as in production, where the planner once took 3,611 due orders for 5)."""
    now = clock()
    done = [
        row
        for index in range(40)
        for row in _rows(f"org{index}", _seconds_before(now, *range(9000, 8500, -1)), "Completed")
    ]
    await _store(database, done)
    if backend == "postgres":
        async with database.transaction() as connection:
            await connection.execute(text("ANALYZE notification_order"))
    await _store(
        database,
        [row for creator in ("a", "b") for row in _rows(creator, _seconds_before(now, *range(3000, 0, -1)))],
    )

    async with database.transaction() as connection:
        statement, values = queue.order_claim(
            connection.dialect.name,
            now=now,
            limit=10,
            lease=LEASE,
            token=uuid.uuid4(),
            per_creator=PER_CREATOR,
            creator_room={"a": 2},
        )
        plan = await _plan(connection, statement, values)
    if backend == "postgres":
        assert plan.count(PENDING_INDEX) == 3, plan  # the first creator, the next, each one's earliest
        assert "Seq Scan" not in plan, plan
        assert max(int(n) for n in ROWS_READ.findall(plan)) <= 20, plan  # none of the 6,000 due
    else:
        assert f"SCAN walked USING INDEX {PENDING_INDEX}" in plan, plan
        assert f"SEARCH walked USING INDEX {PENDING_INDEX} (creator>?)" in plan, plan
        assert f"SEARCH candidate USING INDEX {PENDING_INDEX} (creator=? AND due_at<?)" in plan, plan
        assert "ix_notification_order_status" not in plan, plan


async def _plan(connection: AsyncConnection, statement: Update, values: dict[str, Any]) -> str:
    """The plan the database chooses for the statement with these values. PostgreSQL's is run, not
    only planned (EXPLAIN ANALYZE, rolled back with the test's data): a plain EXPLAIN leaves out the
    subplan of a recursive walk."""
    compiled = statement.compile(dialect=connection.dialect)
    params = compiled.construct_params(values)
    ordered = [params[name] for name in compiled.positiontup or ()]
    if connection.dialect.name == "postgresql":
        raw = await connection.get_raw_connection()
        driver: Any = raw.driver_connection
        rows = await driver.fetch(f"EXPLAIN (ANALYZE, COSTS OFF) {compiled.string}", *ordered)
        return "\n".join(row[0] for row in rows)
    driver_values = tuple(value.hex if isinstance(value, UUID) else value for value in ordered)
    result = await connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled.string}", driver_values)
    return "\n".join(str(row._mapping["detail"]) for row in result)


def _emails(due: Iterable[datetime], status: str = "New") -> list[dict[str, Any]]:
    return [
        {
            "id": uuid.uuid4(),
            "to_address": f"r{index}@example.com",
            "status": status,
            "status_changed_at": at,
            "expires_at": at + timedelta(days=2),
            "due_at": at,
            "attempts": 0,
        }
        for index, at in enumerate(due)
    ]


async def _store_emails(database: Database, now: datetime, emails: list[dict[str, Any]]) -> None:
    """The e-mails, of one order stored with them."""
    order = _rows("ttd", [now], status="Processed")[0]
    await _store(database, [order])
    await _store(
        database, [{**email, "notification_order_id": order["id"]} for email in emails], notification_email
    )


async def test_notification_claim__lapsed_sending_and_new__the_earliest_due_of_both__up_to_the_limit(
    database: Database, clock: Clock
) -> None:
    now = clock()
    lapsed = _emails(_seconds_before(now, 50, 30), status="Sending")  # leases ran out
    waiting = _emails(_seconds_before(now, 40, 20, 10))
    running = _emails([now + timedelta(minutes=1)], status="Sending")  # lease still runs
    later = _emails([now + timedelta(hours=1)])
    await _store_emails(database, now, lapsed + waiting + running + later)

    async with database.transaction() as connection:
        _token, claimed = await queue.claim_notifications(
            connection, Channel.EMAIL, now=now, limit=4, lease=LEASE, composed=False
        )

    earliest = [lapsed[0], waiting[0], lapsed[1], waiting[1]]
    assert {n.id for n in claimed} == {email["id"] for email in earliest}


async def test_notification_claim_plan__reads_the_limit__not_the_backlog(
    database: Database, backend: str, clock: Clock
) -> None:
    now = clock()
    await _store_emails(database, now, _emails(_seconds_before(now, *range(20_000, 0, -1))))
    async with database.transaction() as connection:
        if backend == "postgres":
            await connection.execute(text("ANALYZE notification_email"))
        statement, values = queue.notification_claim(
            Channel.EMAIL, now=now, limit=50, lease=LEASE, token=uuid.uuid4(), composed=False
        )
        plan = await _plan(connection, statement, values)
    if backend == "postgres":
        assert "Seq Scan" not in plan, plan
        assert max(int(n) for n in ROWS_READ.findall(plan)) <= 50, plan  # none of the 20,000 sorted
    else:
        # Each status read along the index in due order; only the two `limit`s are sorted together.
        assert plan.count(f"USING INDEX {STATUS_DUE_AT} (status=? AND due_at<?)") == 2, plan
        assert plan.count("USE TEMP B-TREE FOR ORDER BY") == 1, plan


async def test_next_order_due__the_earliest_registered_or_processing__none_when_nothing_pends(
    database: Database, clock: Clock
) -> None:
    now = clock()
    async with database.transaction() as connection:
        assert await queue.next_order_due(connection) is None
    lease_ends, scheduled = now + timedelta(minutes=3), now + timedelta(hours=2)
    await _store(
        database,
        [
            *_rows("ttd", [scheduled, scheduled + timedelta(days=1)]),
            *_rows("ttd", [lease_ends], status="Processing"),
            *_rows("ttd", [now - timedelta(days=1)], status="Completed"),
        ],
    )
    async with database.transaction() as connection:
        assert await queue.next_order_due(connection) == lease_ends
