"""The statements of subscriptions: every read and write names the owner, so that one owner can never
reach another's subscription."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.core.db import lock_for_update
from orderdesk.webhooks.models import EventType, Owner, OwnerKind, Subscription, SubscriptionState
from orderdesk.webhooks.tables import webhook_subscription

_subscription = webhook_subscription.c
_COLUMNS = (
    _subscription.id,
    _subscription.owner_kind,
    _subscription.owner,
    _subscription.url,
    _subscription.events,
    _subscription.description,
    _subscription.state,
    _subscription.created_at,
    _subscription.disabled_reason,
    _subscription.disabled_at,
    _subscription.failing_since,
    _subscription.secret_rotated_at,
)


def _of(owner: Owner) -> Any:
    return (_subscription.owner_kind == owner.kind.value) & (_subscription.owner == owner.id)


def _subscription_of(row: Any) -> Subscription:
    return Subscription(
        id=row.id,
        owner=Owner(OwnerKind(row.owner_kind), row.owner),
        url=row.url,
        events=tuple(EventType(name) for name in row.events),
        description=row.description,
        state=SubscriptionState(row.state),
        created_at=row.created_at,
        disabled_reason=row.disabled_reason,
        disabled_at=row.disabled_at,
        failing_since=row.failing_since,
        secret_rotated_at=row.secret_rotated_at,
    )


async def count_of(connection: AsyncConnection, owner: Owner) -> int:
    """How many subscriptions the owner has, its rows locked against a concurrent create (PostgreSQL
    locks nothing for a count: the caller's limit may be passed by one in a race, which is harmless)."""
    await lock_for_update(connection)
    return int((await connection.execute(select(func.count()).where(_of(owner)))).scalar_one())


async def insert(
    connection: AsyncConnection,
    *,
    subscription_id: UUID,
    owner: Owner,
    url: str,
    events: tuple[EventType, ...],
    description: str,
    secret: str,
    now: datetime,
) -> Subscription:
    values = {
        "id": subscription_id,
        "owner_kind": owner.kind.value,
        "owner": owner.id,
        "url": url,
        "events": [event.value for event in events],
        "description": description,
        "secret": secret,
        "state": SubscriptionState.ACTIVE.value,
        "created_at": now,
        "consecutive_failures": 0,
    }
    await connection.execute(webhook_subscription.insert().values(values))
    return Subscription(
        id=subscription_id,
        owner=owner,
        url=url,
        events=events,
        description=description,
        state=SubscriptionState.ACTIVE,
        created_at=now,
    )


async def list_of(connection: AsyncConnection, owner: Owner) -> list[Subscription]:
    """The owner's subscriptions, oldest first (an owner has few: see rules.MAX_SUBSCRIPTIONS_PER_OWNER)."""
    rows = await connection.execute(
        select(*_COLUMNS).where(_of(owner)).order_by(_subscription.created_at, _subscription.id)
    )
    return [_subscription_of(row) for row in rows]


async def get(connection: AsyncConnection, owner: Owner, subscription_id: UUID) -> Subscription | None:
    row = (
        await connection.execute(select(*_COLUMNS).where(_of(owner), _subscription.id == subscription_id))
    ).first()
    return None if row is None else _subscription_of(row)


async def remove(connection: AsyncConnection, owner: Owner, subscription_id: UUID) -> bool:
    """Delete the subscription with its outbox and attempts (the foreign keys cascade)."""
    result = await connection.execute(
        delete(webhook_subscription).where(_of(owner), _subscription.id == subscription_id)
    )
    return result.rowcount == 1


async def set_secret(
    connection: AsyncConnection,
    owner: Owner,
    subscription_id: UUID,
    *,
    secret: str,
    previous_until: datetime,
    now: datetime,
) -> bool:
    """Make `secret` the signing secret; the one it replaces keeps signing until `previous_until`."""
    result = await connection.execute(
        update(webhook_subscription)
        .where(_of(owner), _subscription.id == subscription_id)
        .values(
            previous_secret=_subscription.secret,
            previous_secret_until=previous_until,
            secret=secret,
            secret_rotated_at=now,
        )
    )
    return result.rowcount == 1


async def enable(connection: AsyncConnection, owner: Owner, subscription_id: UUID) -> bool:
    """Make a disabled subscription active again, its failures forgotten and its next event due at
    once; False when it is not the owner's or not disabled (an active one keeps its failure count,
    so that enabling cannot postpone its disabling). Events given up while it was disabled stay
    failed: nothing new was queued for it meanwhile."""
    result = await connection.execute(
        update(webhook_subscription)
        .where(
            _of(owner),
            _subscription.id == subscription_id,
            _subscription.state == SubscriptionState.DISABLED.value,
        )
        .values(
            state=SubscriptionState.ACTIVE.value,
            disabled_reason=None,
            disabled_at=None,
            consecutive_failures=0,
            failing_since=None,
            next_attempt_at=None,
        )
    )
    return result.rowcount == 1
