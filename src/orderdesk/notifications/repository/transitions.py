"""Changing the status of notifications while keeping their order's counters and status true.

Every status change after a notification is created goes through `apply`: send results, delivery
reports, expiry. It locks the rows, lets the caller's guard refuse changes that no longer fit (a final
status is never overwritten; a worker whose lease ran out has lost its claim), writes the changes in
batches, adjusts the per-order counters, completes the orders that have nothing left in flight,
queues the webhook events of both (repository.webhook_events), and counts the minute's notifications
sent and failed (for the console's chart).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import Table, Text, Uuid, and_, bindparam, case, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.core.db import UTCDateTime, lock_for_update, on_commit
from orderdesk.notifications.models import (
    Change,
    Channel,
    LockedNotification,
    NotificationStatus,
    OrderProcessingStatus,
)
from orderdesk.notifications.repository import result_minutes, status_feed
from orderdesk.notifications.repository.webhook_events import (
    NotificationStatusChange,
    OrderStatusChange,
    StatusChange,
    record_status_changes,
)
from orderdesk.notifications.tables import notification_email, notification_order, notification_sms
from orderdesk.observability import metrics

TABLES: dict[Channel, Table] = {Channel.EMAIL: notification_email, Channel.SMS: notification_sms}


Guard = Callable[[LockedNotification, Change], bool]
"""Decides, with the row locked, whether a change still applies."""


@dataclass(frozen=True, slots=True)
class Applied:
    applied: list[Change]
    refused: list[tuple[Change, LockedNotification | None]]
    """Changes the guard refused, with the notification as it was (None: no such notification)."""


@dataclass
class _Delta:
    succeeded: int = 0
    failed: int = 0
    finished: int = 0


@dataclass
class _Minute:
    """Notifications that became sent (handed to the provider, or delivered) or failed in this call."""

    sent: int = 0
    failed: int = 0


async def apply(
    connection: AsyncConnection,
    channel: Channel,
    changes: Sequence[Change],
    *,
    now: datetime,
    guard: Guard,
) -> Applied:
    if not changes:
        return Applied([], [])
    table = TABLES[channel]
    ids = sorted({change.id for change in changes})
    await lock_for_update(connection)
    locked = await connection.execute(
        select(
            table.c.id,
            table.c.notification_order_id,
            table.c.status,
            table.c.lease_token,
            table.c.due_at,
            table.c.expires_at,
            table.c.provider_reference,
        )
        .where(table.c.id.in_(ids))
        .order_by(table.c.id)
        .with_for_update()
    )
    rows = {
        row.id: LockedNotification(
            id=row.id,
            order_id=row.notification_order_id,
            status=channel.status(row.status),
            lease_token=row.lease_token,
            due_at=row.due_at,
            expires_at=row.expires_at,
            provider_reference=row.provider_reference,
        )
        for row in locked
    }
    applied: list[Change] = []
    refused: list[tuple[Change, LockedNotification | None]] = []
    deltas: dict[UUID, _Delta] = defaultdict(_Delta)
    minute = _Minute()
    current: dict[UUID, NotificationStatus] = {}
    events: list[StatusChange] = []
    for change in changes:
        row = rows.get(change.id)
        if row is None:
            refused.append((change, None))
            continue
        old = current.get(change.id, row.status)
        if not guard(row, change) or old.is_final:
            refused.append((change, row))
            continue
        current[change.id] = change.status
        if change.status != old:  # a repeated report of the status it has is no change
            events.append(NotificationStatusChange(change.id, row.order_id, channel, old, change.status))
        _count(deltas[row.order_id], old, change.status)
        minute.sent += int(change.status.counts_as_succeeded and not old.counts_as_succeeded)
        minute.failed += int(_is_failed(change.status) and not _is_failed(old))
        applied.append(change)

    if applied:
        # One row per notification in the write (the last change wins); the counters above have
        # already followed every step.
        last_per_id = list({change.id: change for change in applied}.values())
        await _write(connection, table, last_per_id, now)
        await _write_attachment_bytes(connection, table, last_per_id)
        completed = await _adjust_orders(connection, channel, deltas, now)
        events.extend(
            OrderStatusChange(order_id, OrderProcessingStatus.PROCESSED, OrderProcessingStatus.COMPLETED)
            for order_id in completed
        )
        await record_status_changes(connection, events, now=now)
        # Last: it locks a counter row other transactions share, to be held as briefly as possible.
        await result_minutes.add_results(connection, channel, now, sent=minute.sent, failed=minute.failed)
        on_commit(connection, lambda: metrics.notifications_entered(channel, [c.status for c in applied]))
    return Applied(applied, refused)


def _count(delta: _Delta, old: NotificationStatus, new: NotificationStatus) -> None:
    delta.succeeded += int(new.counts_as_succeeded) - int(old.counts_as_succeeded)
    delta.finished += int(new.is_final) - int(old.is_final)
    delta.failed += int(_is_failed(new)) - int(_is_failed(old))


def _is_failed(status: NotificationStatus) -> bool:
    return status.is_final and not status.counts_as_succeeded


async def _write(connection: AsyncConnection, table: Table, changes: list[Change], now: datetime) -> None:
    if connection.dialect.name == "postgresql":
        await _write_postgresql(connection, table, changes, now)
        return
    statement = (
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values(
            status=bindparam("b_status"),
            status_changed_at=bindparam("b_now"),
            lease_token=None,
            due_at=bindparam("b_due_at"),
            last_error=bindparam("b_error"),
        )
    )
    await connection.execute(
        statement,
        [
            {
                "b_id": change.id,
                "b_status": change.status.value,
                "b_now": now,
                "b_due_at": change.due_at or now,
                "b_error": change.error,
            }
            for change in changes
        ],
    )
    with_reference = [change for change in changes if change.provider_reference is not None]
    if with_reference:
        await connection.execute(
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values(provider_reference=bindparam("b_reference")),
            [{"b_id": c.id, "b_reference": c.provider_reference} for c in with_reference],
        )
    with_report = [change for change in changes if change.delivery_report is not None]
    if with_report:
        await connection.execute(
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values(delivery_report=bindparam("b_report")),
            [{"b_id": c.id, "b_report": c.delivery_report} for c in with_report],
        )


async def _write_attachment_bytes(connection: AsyncConnection, table: Table, changes: list[Change]) -> None:
    """Only composed e-mails have attachments: no statement at all for every other result."""
    sized = [change for change in changes if change.attachment_bytes is not None]
    if sized:
        await connection.execute(
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values(attachment_bytes=bindparam("b_bytes")),
            [{"b_id": change.id, "b_bytes": change.attachment_bytes} for change in sized],
        )


async def _write_postgresql(
    connection: AsyncConnection, table: Table, changes: list[Change], now: datetime
) -> None:
    """One UPDATE for the whole group, the new values passed as arrays: far cheaper per row than a
    statement per notification. A NULL reference or report keeps the one stored."""
    statement = text(
        f"""
        UPDATE {table.name} AS n
        SET status = v.status,
            status_changed_at = :now,
            lease_token = NULL,
            due_at = v.due_at,
            last_error = v.last_error,
            provider_reference = COALESCE(v.provider_reference, n.provider_reference),
            delivery_report = COALESCE(v.delivery_report::json, n.delivery_report)
        FROM unnest(
            CAST(:ids AS uuid[]), CAST(:statuses AS text[]), CAST(:due_ats AS timestamptz[]),
            CAST(:errors AS text[]), CAST(:references AS text[]), CAST(:reports AS text[])
        ) AS v(id, status, due_at, last_error, provider_reference, delivery_report)
        WHERE n.id = v.id
        """
    ).bindparams(
        bindparam("ids", type_=ARRAY(Uuid)),
        bindparam("statuses", type_=ARRAY(Text)),
        bindparam("due_ats", type_=ARRAY(UTCDateTime)),
        bindparam("errors", type_=ARRAY(Text)),
        bindparam("references", type_=ARRAY(Text)),
        bindparam("reports", type_=ARRAY(Text)),
        bindparam("now", type_=UTCDateTime),
    )
    await connection.execute(
        statement,
        {
            "now": now,
            "ids": [change.id for change in changes],
            "statuses": [change.status.value for change in changes],
            "due_ats": [change.due_at or now for change in changes],
            "errors": [change.error for change in changes],
            "references": [change.provider_reference for change in changes],
            "reports": [
                json.dumps(change.delivery_report) if change.delivery_report is not None else None
                for change in changes
            ],
        },
    )


async def _adjust_orders(
    connection: AsyncConnection, channel: Channel, deltas: dict[UUID, _Delta], now: datetime
) -> list[UUID]:
    """Add the deltas to the orders' counters and, in the same statement, complete the Processed
    orders whose notifications have now all reached a final status; then write the status feed entries
    of those that did. Returns the orders completed here: those that got their feed entry now."""
    changed = {order_id: delta for order_id, delta in deltas.items() if delta != _Delta()}
    if not changed:
        return []
    order = notification_order.c
    succeeded, failed, finished = (order[f"{channel}_{name}"] for name in ("succeeded", "failed", "finished"))
    finished_after = finished + bindparam("b_finished")
    other = Channel.SMS if channel is Channel.EMAIL else Channel.EMAIL
    all_final = and_(
        order.processing_status == OrderProcessingStatus.PROCESSED.value,
        finished_after == order[f"{channel}_generated"],
        order[f"{other}_finished"] == order[f"{other}_generated"],
    )
    await connection.execute(
        update(notification_order)
        .where(order.id == bindparam("b_id"))
        .values(
            {
                succeeded: succeeded + bindparam("b_succeeded"),
                failed: failed + bindparam("b_failed"),
                finished: finished_after,
                order.processing_status: case(
                    (all_final, OrderProcessingStatus.COMPLETED.value), else_=order.processing_status
                ),
                order.status_changed_at: case((all_final, bindparam("b_now")), else_=order.status_changed_at),
            }
        ),
        [
            {
                "b_id": order_id,
                "b_succeeded": d.succeeded,
                "b_failed": d.failed,
                "b_finished": d.finished,
                "b_now": now,
            }
            for order_id, d in sorted(changed.items())
        ],
    )
    # Only an order that gained a final notification can have completed here. The feed entry is
    # written once, by the transaction whose UPDATE completed the order (it holds the order's row
    # lock): so are the order's completion events, from the same list.
    return await status_feed.record_new_final_orders(
        connection, [order_id for order_id, d in changed.items() if d.finished > 0], now
    )
