"""What went wrong, read for the people who run orderdesk: notifications that ended in a failure
status, counted per status and listed newest first, and the dead delivery reports with the order of
the notification each names. Each read is a bounded range of an index (tables.py's failure indexes,
the dead letters' key), however many notifications there are."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import FromClause, and_, func, literal, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.notifications.models import (
    Channel,
    DeadLetter,
    DeadReason,
    FailedNotification,
    FailureTally,
    KeptDeadLetter,
    NotificationStatus,
)
from orderdesk.notifications.repository.transitions import TABLES
from orderdesk.notifications.tables import FAILED, dead_delivery_report


async def count_failures(connection: AsyncConnection, cap: int) -> list[FailureTally]:
    """Per channel, the notifications in each failure status that has any, each counted up to `cap`
    (past it the tally is `capped`): one statement of index ranges at most `cap` + 1 entries long."""
    kinds = [(channel, status) for channel in Channel for status in channel.failures]
    counts = []
    for channel, status in kinds:
        table = TABLES[channel]
        few = (
            select(literal(1))
            .select_from(table)
            .where(table.c.status == status.value, text(FAILED))
            .limit(cap + 1)
            .subquery()
        )
        counts.append(select(func.count()).select_from(few).scalar_subquery())
    row = (await connection.execute(select(*counts))).one()
    return [
        FailureTally(channel, status, min(count, cap), count > cap)
        for (channel, status), count in zip(kinds, row, strict=True)
        if count
    ]


async def list_failed(
    connection: AsyncConnection,
    channel: Channel,
    status: NotificationStatus,
    after: tuple[datetime, UUID] | None,
    limit: int,
) -> list[FailedNotification]:
    """Notifications of `channel` in `status`, newest status change first, after the (time, id) key
    `after` of the previous page."""
    notification = TABLES[channel].c
    address = notification.to_address if channel is Channel.EMAIL else notification.mobile_number
    recipient = func.coalesce(
        address, notification.recipient_national_identity_number, notification.recipient_organization_number
    )
    query = select(
        notification.id,
        notification.notification_order_id,
        notification.status_changed_at,
        recipient.label("recipient"),
        notification.attempts,
        notification.last_error,
    ).where(notification.status == status.value, text(FAILED))
    if after is not None:
        query = query.where(tuple_(notification.status_changed_at, notification.id) < after)
    rows = await connection.execute(
        query.order_by(notification.status_changed_at.desc(), notification.id.desc()).limit(limit)
    )
    return [
        FailedNotification(
            id=row.id,
            order_id=row.notification_order_id,
            channel=channel,
            status=status,
            status_changed_at=row.status_changed_at,
            recipient=row.recipient,
            attempts=row.attempts,
            last_error=row.last_error,
        )
        for row in rows
    ]


async def list_dead_letters(
    connection: AsyncConnection, after: int | None, limit: int
) -> list[KeptDeadLetter]:
    """Dead letters newest first, after the id `after`."""
    dead = dead_delivery_report.c
    joined: FromClause = dead_delivery_report
    orders: list[Any] = []
    for channel, table in TABLES.items():
        joined = joined.outerjoin(
            table, and_(dead.channel == channel.value, table.c.id == dead.notification_id)
        )
        orders.append(table.c.notification_order_id)
    query = select(dead_delivery_report, func.coalesce(*orders).label("order_id")).select_from(joined)
    if after is not None:
        query = query.where(dead.id < after)
    rows = await connection.execute(query.order_by(dead.id.desc()).limit(limit))
    return [
        KeptDeadLetter(
            row.id,
            DeadLetter(
                channel=Channel(row.channel),
                report=row.report,
                reason=DeadReason(row.reason),
                detail=row.detail,
                received_at=row.received_at,
                notification_id=row.notification_id,
            ),
            row.order_id,
        )
        for row in rows
    ]
