"""What went wrong with notifications, across every creator, for the people who run orderdesk (the
operator console): failed notifications by status, and the delivery reports kept as dead letters."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.notifications.models import (
    Channel,
    FailedNotification,
    FailureTally,
    KeptDeadLetter,
    NotificationStatus,
)
from orderdesk.notifications.repository import failures


async def count_failures(connection: AsyncConnection, cap: int) -> list[FailureTally]:
    """Per channel and failure status, how many notifications ended in it, counted up to `cap`."""
    return await failures.count_failures(connection, cap)


async def list_failed_notifications(
    connection: AsyncConnection,
    channel: Channel,
    status: NotificationStatus,
    after: tuple[datetime, UUID] | None,
    limit: int,
) -> list[FailedNotification]:
    """A page of the notifications in the failure status `status`, newest first; `after` is the
    (status time, id) of the last one of the page before."""
    return await failures.list_failed(connection, channel, status, after, limit)


async def list_dead_letters(
    connection: AsyncConnection, after: int | None, limit: int
) -> list[KeptDeadLetter]:
    """A page of the delivery reports that could not be applied, newest first."""
    return await failures.list_dead_letters(connection, after, limit)
