"""Ending notifications that ran out of time, so that their orders can complete.

Sent notifications (Succeeded, Accepted) whose delivery report never came are failed with Failed_TTL
once their expiry plus a grace period has passed. Notifications that could not be sent before they
expired (a provider down for days, SMS waiting for a window that never opened) are Failed: the
original service left them in New forever, which keeps their order from ever completing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select

from orderdesk.core.db import Database
from orderdesk.notifications.models import Channel
from orderdesk.notifications.repository import transitions
from orderdesk.notifications.repository.transitions import TABLES, Change


async def expire(
    database: Database, channel: Channel, *, now: datetime, grace: timedelta, limit: int = 500
) -> int:
    """Fail up to `limit` expired notifications of the channel; returns how many."""
    table = TABLES[channel]
    new, sending, ttl = channel.new, channel.sending, channel.expired
    async with database.transaction() as connection:
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
        changes = [
            Change(row.id, ttl)
            if row.status == channel.sent.value
            else Change(row.id, channel.failed, error="Expired before it could be sent.")
            for row in result
        ]
        applied = await transitions.apply(
            connection,
            channel,
            changes,
            now=now,
            guard=lambda row, _change: (
                row.expires_at < now and (row.status != sending.value or row.due_at <= now)
            ),
        )
    return len(applied.applied)
