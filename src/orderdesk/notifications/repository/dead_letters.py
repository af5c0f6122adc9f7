"""The dead-letter table of delivery reports, kept bounded: reports that could not be applied are
stored while the table holds fewer than a set number of rows (further ones are only counted), and a
worker loop removes rows past their retention, and any beyond the cap, in batches.

Anyone holding the delivery-reports scope can post reports for notifications that do not exist, so
without both bounds the table would grow as fast as they can post. What each row keeps of its report
is bounded too (rules.dead_letters).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.notifications.models import DeadLetter
from orderdesk.notifications.tables import dead_delivery_report

_dead = dead_delivery_report.c


async def keep(connection: AsyncConnection, letters: Sequence[DeadLetter], *, max_rows: int) -> int:
    """Store as many of the dead `letters` as fit under `max_rows`; returns how many did. Requests
    at the same moment may each see room and overshoot the cap by their rows; `prune` trims that."""
    if not letters:
        return 0
    held = select(_dead.id).limit(max_rows).subquery()
    count: int = (await connection.execute(select(func.count()).select_from(held))).scalar_one()
    room = max(0, max_rows - count)
    kept = [
        {
            "channel": letter.channel.value,
            "report": letter.report,
            "reason": letter.reason.value,
            "detail": letter.detail,
            "received_at": letter.received_at,
            "notification_id": letter.notification_id,
        }
        for letter in letters[:room]
    ]
    if kept:
        await connection.execute(dead_delivery_report.insert(), kept)
    return len(kept)


async def prune(
    connection: AsyncConnection, *, now: datetime, retention: timedelta, max_rows: int, batch: int = 1000
) -> int:
    """Delete up to `batch` rows received before `now - retention`, then up to `batch` of the oldest
    rows beyond the newest `max_rows`. Returns how many went; a full batch means there may be more."""
    expired = select(_dead.id).where(_dead.received_at < now - retention).order_by(_dead.id).limit(batch)
    removed = await _delete(connection, list((await connection.execute(expired)).scalars()))
    beyond = select(_dead.id).order_by(_dead.id.desc()).offset(max_rows).limit(batch)
    removed += await _delete(connection, list((await connection.execute(beyond)).scalars()))
    return removed


async def _delete(connection: AsyncConnection, ids: list[int]) -> int:
    if not ids:
        return 0
    await connection.execute(delete(dead_delivery_report).where(_dead.id.in_(ids)))
    return len(ids)
