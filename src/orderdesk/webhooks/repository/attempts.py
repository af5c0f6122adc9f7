"""The statement of the deliveries list: a subscription's attempts, newest first, a page at a time.

Each page is one range read of an index below its cursor (`ix_webhook_attempt_subscription`, or
`ix_webhook_attempt_failed` / `ix_webhook_attempt_message` when filtered), joined to each attempt's
event by its primary key for the event's state now."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.webhooks.models import Attempt, AttemptOutcome, AttemptPage, EventState, EventType
from orderdesk.webhooks.tables import ATTEMPT_FAILED, webhook_attempt, webhook_event

_attempt = webhook_attempt.c
_event = webhook_event.c


async def list_page(
    connection: AsyncConnection,
    subscription_id: UUID,
    *,
    below: int | None,
    size: int,
    message_id: str | None = None,
    outcome: AttemptOutcome | None = None,
) -> AttemptPage:
    """Up to `size` attempts of the subscription with ids below `below` (all: None), newest first.
    The caller has checked that the subscription is its owner's."""
    conditions: list[Any] = [_attempt.subscription_id == subscription_id]
    if below is not None:
        conditions.append(_attempt.id < below)
    if message_id is not None:
        conditions.append(_attempt.message_id == message_id)
    if outcome is AttemptOutcome.FAILED:
        conditions.append(text(f"({ATTEMPT_FAILED})"))
    elif outcome is AttemptOutcome.SUCCEEDED:
        conditions.append(_attempt.status_code.between(200, 299))
    rows = (
        await connection.execute(
            select(
                _attempt.id,
                _attempt.message_id,
                _attempt.event_type,
                _attempt.attempted_at,
                _attempt.status_code,
                _attempt.duration_ms,
                _attempt.response_excerpt,
                _attempt.error,
                _event.state.label("event_state"),
            )
            .select_from(webhook_attempt.outerjoin(webhook_event, _event.seq == _attempt.event_seq))
            .where(*conditions)
            .order_by(_attempt.id.desc())
            .limit(size + 1)
        )
    ).all()
    attempts = [_attempt_of(row, subscription_id) for row in rows[:size]]
    more = len(rows) > size
    return AttemptPage(attempts, attempts[-1].id if more else None)


def _attempt_of(row: Any, subscription_id: UUID) -> Attempt:
    return Attempt(
        id=row.id,
        subscription_id=subscription_id,
        message_id=row.message_id,
        event_type=EventType(row.event_type),
        attempted_at=row.attempted_at,
        status_code=row.status_code,
        duration_ms=row.duration_ms,
        response_excerpt=row.response_excerpt,
        error=row.error,
        event_state=None if row.event_state is None else EventState(row.event_state),
    )
