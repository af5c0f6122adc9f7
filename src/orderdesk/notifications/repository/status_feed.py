"""The status feed: one entry per order that became final (Completed, SendConditionNotMet), written in
the transaction that made it final; read page by page through a cursor; deleted after its retention.

Every place that makes an order final calls `record_final_orders` with the orders it touched, in
batches: the entry is the shipment as it is at that moment, and it is written once however often the
completion is recorded (the order id is unique in the table and the insert skips a conflict)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    JSON,
    Select,
    Text,
    Uuid,
    and_,
    bindparam,
    cast,
    exists,
    literal,
    select,
    tuple_,
)
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.core.db import UTCDateTime, delete_oldest, insert_for
from orderdesk.core.offload import converted_rows, off_loop_if_large
from orderdesk.notifications.models import Creator, OrderProcessingStatus
from orderdesk.notifications.repository.shipments import recipients_of, shipment_columns, shipment_of
from orderdesk.notifications.rules.shipments import FINAL_ORDER_STATUSES, FeedEntry, feed_entry
from orderdesk.notifications.tables import notification_order, notification_status_feed

RETENTION_BATCH = 10_000
"""Entries deleted per statement: a large backlog goes in short transactions, not in one."""

_feed = notification_status_feed.c
_order = notification_order.c


async def record_final_orders(connection: AsyncConnection, order_ids: Sequence[UUID], now: datetime) -> int:
    """Write the feed entry of each of the orders that is now final and has none yet; returns how many.

    Idempotent: an order that already has its entry is skipped, and an entry written meanwhile by
    another transaction is kept (the insert does nothing on the unique order id). The entries of
    orders with many notifications are built off the event loop."""
    return len(await record_new_final_orders(connection, order_ids, now))


async def record_new_final_orders(
    connection: AsyncConnection, order_ids: Sequence[UUID], now: datetime
) -> list[UUID]:
    """`record_final_orders`, returning the orders whose entry it wrote: those that became final in
    this transaction (the order's webhook event is written for the same ones)."""
    if not order_ids:
        return []
    has_entry = exists().where(_feed.notification_order_id == _order.id)
    result = await connection.execute(
        select(*shipment_columns()).where(
            and_(
                _order.id.in_(sorted(set(order_ids))),
                _order.processing_status.in_([status.value for status in FINAL_ORDER_STATUSES]),
                ~has_entry,
            )
        )
    )
    rows = list(result)
    if not rows:
        return []
    completed = [row.id for row in rows if row.processing_status == OrderProcessingStatus.COMPLETED.value]
    recipients = await recipients_of(connection, completed)
    size = sum(len(found) for found in recipients.values())

    def build() -> list[dict[str, Any]]:
        return [
            {
                "b_order": row.id,
                "b_creator": row.creator,
                "b_now": now,
                "b_entry": json.dumps(feed_entry(shipment_of(row, recipients.get(row.id, [])))),
            }
            for row in sorted(rows, key=lambda row: row.id)
        ]

    values = await off_loop_if_large(size, build)
    # The entry goes as JSON text made above: encoding a 100 000-recipient entry on the loop held it.
    entry: Any = bindparam("b_entry", type_=Text)
    if connection.dialect.name == "postgresql":
        entry = cast(entry, JSON)
    statement = (
        insert_for(connection, notification_status_feed)
        .values(
            notification_order_id=bindparam("b_order", type_=Uuid),
            creator=bindparam("b_creator"),
            created_at=bindparam("b_now", type_=UTCDateTime),
            entry=entry,
        )
        .on_conflict_do_nothing(index_elements=["notification_order_id"])
    )
    await connection.execute(statement, values)
    return [row.id for row in sorted(rows, key=lambda row: row.id)]


def feed_page_statement(
    creator: Creator, *, seq: int, page_size: int, descending: bool, visible_until: datetime
) -> Select[Any]:
    """The statement of one page of the creator's feed: a range of the (creator, sequence_number)
    index, read from `seq` (exclusive) onwards, so a page costs the same however long the feed is.
    `descending` with `seq` 0 starts from the newest entry. Entries written after `visible_until` are
    left out.

    The cursor is compared as the pair (creator, sequence_number), which only that index can bound:
    compared alone, the primary key offered a range too, and the planner sometimes walked it through
    every other creator's entries to fill a page of a creator with few."""
    key = tuple_(_feed.creator, _feed.sequence_number)
    statement = select(_feed.sequence_number, _feed.entry).where(
        and_(_feed.creator == creator, _feed.created_at <= visible_until)
    )
    if descending:
        if seq > 0:
            statement = statement.where(key < tuple_(literal(creator), literal(seq)))
        statement = statement.order_by(_feed.creator.desc(), _feed.sequence_number.desc())
    else:
        statement = statement.where(key > tuple_(literal(creator), literal(seq))).order_by(
            _feed.creator, _feed.sequence_number
        )
    return statement.limit(page_size)


async def list_feed_entries(
    connection: AsyncConnection,
    creator: Creator,
    *,
    seq: int,
    page_size: int,
    descending: bool,
    visible_until: datetime,
) -> list[FeedEntry]:
    result = await connection.execute(
        feed_page_statement(
            creator, seq=seq, page_size=page_size, descending=descending, visible_until=visible_until
        )
    )
    return await converted_rows(result, _entry_of)


def _entry_of(row: Row[Any]) -> FeedEntry:
    return FeedEntry(sequence_number=row.sequence_number, entry=row.entry)


async def delete_entries_before(
    connection: AsyncConnection, before: datetime, *, batch: int = RETENTION_BATCH
) -> int:
    """Delete up to `batch` entries written before `before`, oldest first; returns how many (a full
    batch: there may be more). Found through the created_at index."""
    return await delete_oldest(connection, _feed.sequence_number, _feed.created_at, before, batch)
