"""Writing events into the outbox, in the caller's transaction: an event exists exactly when the
change that caused it committed.

A family calls `record_events` wherever a status changes, with the events of the whole batch it
changed. An owner without subscriptions costs one indexed read (`subscribers`), so a family can also
ask first and skip building payloads nobody will receive."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.core import topics
from orderdesk.core.clock import wire_time
from orderdesk.core.db import bulk_insert
from orderdesk.core.wakeup import after_commit
from orderdesk.webhooks.models import EventState, EventType, OwnedEvent, OwnerKind, SubscriptionState
from orderdesk.webhooks.tables import webhook_event, webhook_subscription

_subscription = webhook_subscription.c

Subscribers = dict[str, list[tuple[UUID, frozenset[str]]]]
"""Per owner id: its active subscriptions, each with the event types it asked for."""


def message_id() -> str:
    """A new `webhook-id`: unique per event and subscription, the same for each attempt to post it."""
    return "msg_" + uuid.uuid4().hex


def event_body(event_type: EventType, occurred_at: datetime, data: dict[str, Any]) -> str:
    """The JSON posted: the Standard Webhooks payload shape, `type`, `timestamp` and `data`."""
    return orjson.dumps(
        {"type": event_type.value, "timestamp": wire_time(occurred_at), "data": data}
    ).decode()


async def subscribers(
    connection: AsyncConnection,
    kind: OwnerKind,
    owners: Collection[str] | Select[Any],
    types: Collection[EventType] | None = None,
) -> Subscribers:
    """The active subscriptions of `owners` (ids, or a query of them) to any of `types` (all: None)."""
    if not isinstance(owners, Select) and not owners:
        return {}
    rows = await connection.execute(
        select(_subscription.id, _subscription.owner, _subscription.events).where(
            _subscription.owner_kind == kind.value,
            _subscription.owner.in_(owners if isinstance(owners, Select) else sorted(set(owners))),
            _subscription.state == SubscriptionState.ACTIVE.value,
        )
    )
    wanted = None if types is None else {event_type.value for event_type in types}
    found: Subscribers = defaultdict(list)
    for row in rows:
        events = frozenset(row.events)
        if wanted is None or events & wanted:
            found[row.owner].append((row.id, events))
    return dict(found)


async def record_events(
    connection: AsyncConnection,
    kind: OwnerKind,
    events: Sequence[OwnedEvent],
    known_subscribers: Subscribers | None = None,
) -> int:
    """Put each event in the outbox of every active subscription of its owner to its type, in the
    order given (the order subscribers receive them); returns how many rows were written.

    `known_subscribers` is what `subscribers` answered in this transaction, when the caller asked."""
    if not events:
        return 0
    found = known_subscribers
    if found is None:
        found = await subscribers(connection, kind, {event.owner.id for event in events})
    rows: list[dict[str, Any]] = []
    for event in events:
        for subscription_id, types in found.get(event.owner.id, ()):
            if event.type.value in types:
                rows.append(_row(subscription_id, event.type, event.occurred_at, event.data))
    return await insert_rows(connection, rows)


async def record_ping(connection: AsyncConnection, subscription_id: UUID, now: datetime) -> str:
    """Queue a `webhook.ping` for one subscription (after what it already has); its message id."""
    row = _row(
        subscription_id,
        EventType.PING,
        now,
        {"subscriptionId": str(subscription_id), "message": "A test event from orderdesk."},
    )
    await insert_rows(connection, [row])
    return str(row["message_id"])


def _row(
    subscription_id: UUID, event_type: EventType, occurred_at: datetime, data: dict[str, Any]
) -> dict[str, Any]:
    return {
        "message_id": message_id(),
        "subscription_id": subscription_id,
        "type": event_type.value,
        "body": event_body(event_type, occurred_at, data),
        "created_at": occurred_at,
        "state": EventState.PENDING.value,
        "attempts": 0,
    }


async def insert_rows(connection: AsyncConnection, rows: list[dict[str, Any]]) -> int:
    """Write outbox rows (in their order: `seq` follows it) and wake the delivery loop on commit."""
    if not rows:
        return 0
    if len(rows) == 1:
        await connection.execute(webhook_event.insert(), rows)
    else:
        await bulk_insert(connection, webhook_event, rows)
    await after_commit(connection, topics.WEBHOOKS)
    return len(rows)
