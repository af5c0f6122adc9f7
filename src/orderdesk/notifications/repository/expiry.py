"""Finding notifications that ran out of time (service.expiry ends them)."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.notifications.models import Channel, NotificationStatus
from orderdesk.notifications.repository.transitions import TABLES


async def list_expired(
    connection: AsyncConnection, channel: Channel, *, now: datetime, grace: timedelta, limit: int
) -> list[tuple[UUID, NotificationStatus]]:
    """Up to `limit` notifications of the channel, with their status, that expired: sent ones once
    their expiry plus `grace` has passed, unsent ones once their expiry has."""
    table = TABLES[channel]
    new, sending = channel.new, channel.sending
    result = await connection.execute(
        select(table.c.id, table.c.status)
        .where(
            or_(
                and_(table.c.status == channel.sent.value, table.c.expires_at < now - grace),
                and_(table.c.status == new.value, table.c.expires_at < now),
                # A Sending notification is only abandoned once its worker's lease ran out too.
                and_(
                    table.c.status == sending.value,
                    table.c.expires_at < now,
                    table.c.due_at <= now,
                ),
            )
        )
        .limit(limit)
    )
    return [(row.id, channel.status(row.status)) for row in result]
