"""The statements of webhook retention: delivered and failed events, and attempts, deleted once past
their retention, a bounded batch per statement so that a large backlog goes in short transactions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.core.db import delete_oldest
from orderdesk.webhooks.tables import webhook_attempt, webhook_event

RETENTION_BATCH = 5_000
"""Rows deleted per statement."""

_event = webhook_event.c
_attempt = webhook_attempt.c


async def prune_events(connection: AsyncConnection, before: datetime, *, batch: int = RETENTION_BATCH) -> int:
    """Delete up to `batch` events that ended (delivered or failed) before `before`, oldest first;
    returns how many (a full batch: there may be more). A pending event has no end and is never
    deleted here; found through the finished_at index."""
    return await delete_oldest(connection, _event.seq, _event.finished_at, before, batch)


async def prune_attempts(
    connection: AsyncConnection, before: datetime, *, batch: int = RETENTION_BATCH
) -> int:
    """Delete up to `batch` attempts made before `before`, oldest first; returns how many. An event
    still pending is younger than the give-up and disable windows, which are far shorter than any
    retention worth setting, so its attempts are not reached."""
    return await delete_oldest(connection, _attempt.id, _attempt.attempted_at, before, batch)
