"""Ending notifications that ran out of time, so that their orders can complete.

Sent notifications (Succeeded, Accepted) whose delivery report never came are failed with Failed_TTL
once their expiry plus a grace period has passed. Notifications that could not be sent before they
expired (a provider down for days, SMS waiting for a window that never opened) are Failed: the
original service left them in New forever, which keeps their order from ever completing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.notifications.models import Change, Channel
from orderdesk.notifications.repository import expiry, transitions


async def expire(
    connection: AsyncConnection, channel: Channel, *, now: datetime, grace: timedelta, limit: int = 500
) -> int:
    """Fail up to `limit` expired notifications of the channel; returns how many."""
    sending = channel.sending
    expired = await expiry.list_expired(connection, channel, now=now, grace=grace, limit=limit)
    changes = [
        Change(notification_id, channel.expired)
        if status == channel.sent
        else Change(notification_id, channel.failed, error="Expired before it could be sent.")
        for notification_id, status in expired
    ]
    applied = await transitions.apply(
        connection,
        channel,
        changes,
        now=now,
        guard=lambda row, _change: row.expires_at < now and (row.status != sending or row.due_at <= now),
    )
    return len(applied.applied)
