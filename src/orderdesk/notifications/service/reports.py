"""Delivery reports from providers: applied to their notification when they still can be, kept in
the dead-letter table with a reason when they cannot (while it has room: see dead_letters).

A report names its notification by our id or by the provider's reference. It is not applied when the
notification is unknown, when it has expired, when its state is not one we recognise, or when the
notification already has a final status (a late or repeated report changes nothing final).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.notifications.models import Channel, NotificationStatus
from orderdesk.notifications.repository import dead_letters, transitions
from orderdesk.notifications.repository.transitions import TABLES, Change


class DeadReason(StrEnum):
    INVALID_NOTIFICATION_IDENTIFIER = "INVALID_NOTIFICATION_IDENTIFIER"
    NOTIFICATION_EXPIRED = "NOTIFICATION_EXPIRED"
    UNRECOGNIZED_SEND_RESULT = "UNRECOGNIZED_SEND_RESULT"
    ALREADY_FINAL = "ALREADY_FINAL"


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """`status` None: the provider said something we do not recognise."""

    status: NotificationStatus | None
    raw: dict[str, Any]
    notification_id: UUID | None = None
    reference: str | None = None


@dataclass(frozen=True, slots=True)
class ReportsApplied:
    """`dead` counts every report not applied, per reason; `dropped` those of them that were not kept
    because the dead-letter table was full."""

    applied: int
    dead: dict[DeadReason, int]
    dropped: int = 0


async def apply_reports(
    connection: AsyncConnection,
    channel: Channel,
    reports: Sequence[DeliveryReport],
    *,
    now: datetime,
    max_dead_rows: int,
) -> ReportsApplied:
    """Apply what can be applied; keep the rest as dead letters while the table holds fewer than
    `max_dead_rows` (those past it are counted in `dropped`, not stored)."""
    ids = await _resolve_ids(connection, channel, reports)
    dead: list[tuple[DeliveryReport, DeadReason, str | None]] = []
    # One request may report twice on a notification. Each `transitions.apply` call gets an id at
    # most once (PostgreSQL's one-statement write would apply only one of two rows with the same id,
    # and not a predictable one): the n-th report on a notification goes in the n-th round, so the
    # reports on it apply in the order they came, each round seeing what the one before wrote.
    rounds: list[list[tuple[Change, DeliveryReport]]] = []
    seen: dict[UUID, int] = {}
    for report, notification_id in zip(reports, ids, strict=True):
        if notification_id is None:
            dead.append((report, DeadReason.INVALID_NOTIFICATION_IDENTIFIER, None))
        elif report.status is None:
            dead.append((report, DeadReason.UNRECOGNIZED_SEND_RESULT, None))
        else:
            index = seen[notification_id] = seen.get(notification_id, -1) + 1
            if index == len(rounds):
                rounds.append([])
            rounds[index].append((Change(notification_id, report.status, delivery_report=report.raw), report))

    applied = 0
    for changes in rounds:
        by_change = {id(change): report for change, report in changes}
        result = await transitions.apply(
            connection,
            channel,
            [change for change, _report in changes],
            now=now,
            guard=lambda row, _change: row.expires_at >= now,
        )
        applied += len(result.applied)
        for change, row in result.refused:
            status = row.status if row is not None else None
            dead.append((by_change[id(change)], _refusal_reason(channel, row, now), status))

    kept = await dead_letters.keep(
        connection,
        [
            {
                "channel": channel.value,
                "report": dead_letters.storable(report.raw),
                "reason": reason.value,
                "detail": f"notification status {status}" if status else None,
                "received_at": now,
            }
            for report, reason, status in dead
        ],
        max_rows=max_dead_rows,
    )
    counts: dict[DeadReason, int] = {}
    for _report, reason, _status in dead:
        counts[reason] = counts.get(reason, 0) + 1
    return ReportsApplied(applied=applied, dead=counts, dropped=len(dead) - kept)


def _refusal_reason(channel: Channel, row: Row[Any] | None, now: datetime) -> DeadReason:
    if row is None:
        return DeadReason.INVALID_NOTIFICATION_IDENTIFIER
    if channel.status(row.status).is_final:
        return DeadReason.ALREADY_FINAL
    return DeadReason.NOTIFICATION_EXPIRED


async def _resolve_ids(
    connection: AsyncConnection, channel: Channel, reports: Sequence[DeliveryReport]
) -> list[UUID | None]:
    """Our notification id for each report: given, or found by the provider's reference."""
    references = sorted({r.reference for r in reports if r.notification_id is None and r.reference})
    found: dict[str, UUID] = {}
    if references:
        table = TABLES[channel]
        rows = await connection.execute(
            select(table.c.provider_reference, table.c.id).where(table.c.provider_reference.in_(references))
        )
        found = {row.provider_reference: row.id for row in rows}
    return [
        report.notification_id or (found.get(report.reference) if report.reference else None)
        for report in reports
    ]
