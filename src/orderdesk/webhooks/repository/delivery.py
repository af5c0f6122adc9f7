"""The statements of delivery: a subscription claimed under a lease, its pending events read in order,
and the outcome of a run of attempts written only by the lease's holder."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.core.db import bulk_insert, lock_for_update
from orderdesk.webhooks.models import (
    ClaimedSubscription,
    EventState,
    EventType,
    PendingEvent,
    SubscriptionState,
)
from orderdesk.webhooks.tables import webhook_attempt, webhook_event, webhook_subscription

_subscription = webhook_subscription.c
_event = webhook_event.c


async def claim_subscriptions(
    connection: AsyncConnection, now: datetime, until: datetime, limit: int
) -> list[ClaimedSubscription]:
    """Active subscriptions with pending events whose next attempt is due and that no live lease holds,
    each leased to this worker until `until`: it alone posts their events meanwhile."""
    await lock_for_update(connection)
    has_pending = exists().where(
        _event.subscription_id == _subscription.id, _event.state == EventState.PENDING.value
    )
    rows = (
        await connection.execute(
            select(
                _subscription.id,
                _subscription.url,
                _subscription.secret,
                _subscription.previous_secret,
                _subscription.previous_secret_until,
                _subscription.consecutive_failures,
                _subscription.failing_since,
            )
            .where(
                _subscription.state == SubscriptionState.ACTIVE.value,
                or_(_subscription.next_attempt_at.is_(None), _subscription.next_attempt_at <= now),
                or_(_subscription.lease_until.is_(None), _subscription.lease_until < now),
                has_pending,
            )
            .order_by(_subscription.next_attempt_at, _subscription.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=webhook_subscription)
        )
    ).all()
    if not rows:
        return []
    lease = str(uuid.uuid4())
    await connection.execute(
        update(webhook_subscription)
        .where(_subscription.id.in_([row.id for row in rows]))
        .values(lease_token=lease, lease_until=until)
    )
    return [
        ClaimedSubscription(
            id=row.id,
            url=row.url,
            secrets=_signing_secrets(row.secret, row.previous_secret, row.previous_secret_until, now),
            lease=lease,
            consecutive_failures=row.consecutive_failures,
            failing_since=row.failing_since,
        )
        for row in rows
    ]


def _signing_secrets(
    secret: str, previous: str | None, previous_until: datetime | None, now: datetime
) -> tuple[str, ...]:
    if previous is not None and previous_until is not None and previous_until > now:
        return (secret, previous)
    return (secret,)


async def pending_events(
    connection: AsyncConnection, subscription_id: UUID, limit: int
) -> list[PendingEvent]:
    """The subscription's next events, in the order they are to be posted."""
    rows = await connection.execute(
        select(_event.seq, _event.message_id, _event.type, _event.body, _event.created_at, _event.attempts)
        .where(_event.subscription_id == subscription_id, _event.state == EventState.PENDING.value)
        .order_by(_event.seq)
        .limit(limit)
    )
    return [
        PendingEvent(
            seq=row.seq,
            message_id=row.message_id,
            type=EventType(row.type),
            body=row.body.encode(),
            created_at=row.created_at,
            attempts=row.attempts,
        )
        for row in rows
    ]


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    event: PendingEvent
    attempted_at: datetime
    status_code: int | None
    duration_ms: int
    response_excerpt: str | None
    error: str | None
    delivered: bool


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """How a run of attempts left the subscription."""

    consecutive_failures: int
    failing_since: datetime | None
    next_attempt_at: datetime | None
    give_up_head: bool = False
    """The last attempt's event is given up (marked failed)."""
    disable_reason: str | None = None
    keep_lease_until: datetime | None = None
    """Set while the holder goes on posting: the lease is renewed; None gives it up."""


async def record_run(
    connection: AsyncConnection,
    subscription_id: UUID,
    lease: str,
    attempts: Sequence[AttemptRecord],
    outcome: RunOutcome,
    now: datetime,
) -> bool:
    """Write a run of attempts and what it leaves, unless the lease was lost meanwhile (False: another
    worker holds the subscription now and posts these events again)."""
    values: dict[str, Any] = {
        "consecutive_failures": outcome.consecutive_failures,
        "failing_since": outcome.failing_since,
        "next_attempt_at": outcome.next_attempt_at,
        "lease_until": outcome.keep_lease_until,
    }
    if outcome.keep_lease_until is None:
        values["lease_token"] = None
    if outcome.disable_reason is not None:
        values |= {
            "state": SubscriptionState.DISABLED.value,
            "disabled_reason": outcome.disable_reason,
            "disabled_at": now,
        }
    held = await connection.execute(
        update(webhook_subscription)
        .where(_subscription.id == subscription_id, _subscription.lease_token == lease)
        .values(values)
    )
    if held.rowcount != 1:
        return False
    delivered = [attempt.event.seq for attempt in attempts if attempt.delivered]
    if delivered:
        await connection.execute(
            update(webhook_event)
            .where(_event.seq.in_(delivered), _event.state == EventState.PENDING.value)
            .values(state=EventState.DELIVERED.value, attempts=_event.attempts + 1, finished_at=now)
        )
    failed = [attempt.event.seq for attempt in attempts if not attempt.delivered]
    if failed:
        given_up = outcome.give_up_head or outcome.disable_reason is not None
        await connection.execute(
            update(webhook_event)
            .where(_event.seq.in_(failed), _event.state == EventState.PENDING.value)
            .values(
                attempts=_event.attempts + 1,
                **({"state": EventState.FAILED.value, "finished_at": now} if given_up else {}),
            )
        )
    if outcome.disable_reason is not None:
        # Nothing more is posted to a disabled subscription: what it still had waiting ends as failed.
        await connection.execute(
            update(webhook_event)
            .where(_event.subscription_id == subscription_id, _event.state == EventState.PENDING.value)
            .values(state=EventState.FAILED.value, finished_at=now)
        )
    await bulk_insert(
        connection,
        webhook_attempt,
        [
            {
                "subscription_id": subscription_id,
                "event_seq": attempt.event.seq,
                "message_id": attempt.event.message_id,
                "event_type": attempt.event.type.value,
                "attempted_at": attempt.attempted_at,
                "status_code": attempt.status_code,
                "duration_ms": attempt.duration_ms,
                "response_excerpt": attempt.response_excerpt,
                "error": attempt.error,
            }
            for attempt in attempts
        ],
    )
    return True


async def release(connection: AsyncConnection, subscription_id: UUID, lease: str) -> None:
    """Give up the lease with nothing recorded (a stop that could not wait)."""
    await connection.execute(
        update(webhook_subscription)
        .where(_subscription.id == subscription_id, _subscription.lease_token == lease)
        .values(lease_token=None, lease_until=None)
    )
