"""The dead-letter table of delivery reports, kept bounded: reports that could not be applied are
stored while the table holds fewer than a set number of rows (further ones are only counted), and a
worker loop removes rows past their retention, and any beyond the cap, in batches.

Anyone holding the delivery-reports scope can post reports for notifications that do not exist, so
without both bounds the table would grow as fast as they can post.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.core.db import Database
from orderdesk.notifications.tables import dead_delivery_report

_dead = dead_delivery_report.c

MAX_KEPT_REPORT_CHARS = 4096
"""A report's own JSON beyond this many characters is kept as a summary: the table's bound is in rows,
so each row must stay small whatever a sender puts into a report."""

_SUMMARY_KEYS = ("notificationId", "operationId", "status", "provider", "type")


def storable(report: dict[str, Any]) -> dict[str, Any]:
    """The report as it is kept: itself, or when too large its identifying keys and its size."""
    size = len(json.dumps(report, default=str))
    if size <= MAX_KEPT_REPORT_CHARS:
        return report
    summary: dict[str, Any] = {
        key: str(report[key])[:200] for key in _SUMMARY_KEYS if report.get(key) is not None
    }
    summary["truncated"] = {"characters": size}
    return summary


async def keep(connection: AsyncConnection, rows: Sequence[dict[str, Any]], *, max_rows: int) -> int:
    """Store as many of the dead-letter `rows` as fit under `max_rows`; returns how many did. Requests
    at the same moment may each see room and overshoot the cap by their rows; `prune` trims that."""
    if not rows:
        return 0
    held = select(_dead.id).limit(max_rows).subquery()
    count: int = (await connection.execute(select(func.count()).select_from(held))).scalar_one()
    room = max(0, max_rows - count)
    kept = list(rows[:room])
    if kept:
        await connection.execute(dead_delivery_report.insert(), kept)
    return len(kept)


async def prune(
    database: Database, *, now: datetime, retention: timedelta, max_rows: int, batch: int = 1000
) -> int:
    """Delete, in one short transaction, up to `batch` rows received before `now - retention`, then up
    to `batch` of the oldest rows beyond the newest `max_rows`. Returns how many went; a full batch
    means there may be more."""
    async with database.transaction() as connection:
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
