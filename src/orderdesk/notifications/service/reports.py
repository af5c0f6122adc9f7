"""Delivery reports from providers: applied to their notification when they still can be, kept in
the dead-letter table with a reason when they cannot (while it has room: see repository.dead_letters).

A report names its notification by our id or by the provider's reference. It is not applied when the
notification is unknown, when it has expired, when its state is not one we recognise, or when the
notification already has a final status (a late or repeated report changes nothing final).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.notifications.models import (
    Change,
    Channel,
    DeadLetter,
    DeadReason,
    DeliveryReport,
    LockedNotification,
    ReportsApplied,
)
from orderdesk.notifications.repository import dead_letters, reports, transitions
from orderdesk.notifications.rules.dead_letters import storable
from orderdesk.notifications.rules.delivery_reports import email_report_status, kannel_report_status


def kannel_report(notification_id: UUID, dlr_type: int, answer: str | None) -> DeliveryReport:
    """The report Kannel's dlr-url call makes (its `type` and the SMSC's `answer`)."""
    raw = {"provider": "kannel", "type": dlr_type, "answer": answer}
    return DeliveryReport(
        status=kannel_report_status(dlr_type, answer), raw=raw, notification_id=notification_id
    )


def email_report(
    state: str, raw: dict[str, Any], *, notification_id: UUID | None, reference: str | None
) -> DeliveryReport:
    """The report of an e-mail provider's webhook: its `state`, naming the notification by our id or
    by the provider's reference (used only without the id)."""
    return DeliveryReport(
        status=email_report_status(state),
        raw=raw,
        notification_id=notification_id,
        reference=reference if notification_id is None else None,
    )


async def apply_reports(
    connection: AsyncConnection,
    channel: Channel,
    delivery_reports: Sequence[DeliveryReport],
    *,
    now: datetime,
    max_dead_rows: int,
) -> ReportsApplied:
    """Apply what can be applied; keep the rest as dead letters while the table holds fewer than
    `max_dead_rows` (those past it are counted in `dropped`, not stored)."""
    ids = await reports.resolve_ids(connection, channel, delivery_reports)
    dead: list[tuple[DeliveryReport, DeadReason, str | None, UUID | None]] = []
    # One request may report twice on a notification. Each `transitions.apply` call gets an id at
    # most once (PostgreSQL's one-statement write would apply only one of two rows with the same id,
    # and not a predictable one): the n-th report on a notification goes in the n-th round, so the
    # reports on it apply in the order they came, each round seeing what the one before wrote.
    rounds: list[list[tuple[Change, DeliveryReport]]] = []
    seen: dict[UUID, int] = {}
    for report, notification_id in zip(delivery_reports, ids, strict=True):
        if notification_id is None:
            dead.append((report, DeadReason.INVALID_NOTIFICATION_IDENTIFIER, None, None))
        elif report.status is None:
            dead.append((report, DeadReason.UNRECOGNIZED_SEND_RESULT, None, notification_id))
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
            dead.append((by_change[id(change)], _refusal_reason(row), status, change.id))

    kept = await dead_letters.keep(
        connection,
        [
            DeadLetter(
                channel=channel,
                report=storable(report.raw),
                reason=reason,
                detail=f"notification status {status}" if status else None,
                received_at=now,
                notification_id=notification_id,
            )
            for report, reason, status, notification_id in dead
        ],
        max_rows=max_dead_rows,
    )
    counts: dict[DeadReason, int] = {}
    for _report, reason, _status, _id in dead:
        counts[reason] = counts.get(reason, 0) + 1
    return ReportsApplied(applied=applied, dead=counts, dropped=len(dead) - kept)


def _refusal_reason(row: LockedNotification | None) -> DeadReason:
    if row is None:
        return DeadReason.INVALID_NOTIFICATION_IDENTIFIER
    if row.status.is_final:
        return DeadReason.ALREADY_FINAL
    return DeadReason.NOTIFICATION_EXPIRED


async def prune_dead_reports(
    connection: AsyncConnection, *, now: datetime, retention: timedelta, max_rows: int
) -> int:
    """Delete a batch of dead letters past `retention` and beyond the newest `max_rows`; returns how
    many went (a full batch: there may be more)."""
    return await dead_letters.prune(connection, now=now, retention=retention, max_rows=max_rows)
