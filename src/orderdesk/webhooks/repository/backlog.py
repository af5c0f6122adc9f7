"""What waits in the webhook outbox, read at scrape time: pending events (counted up to a cap) and
the oldest one at the head of a subscription, in one statement whose cost does not grow with the
backlog beyond the cap."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.core.db import UTCDateTime
from orderdesk.webhooks.models import EventState, SubscriptionState
from orderdesk.webhooks.tables import webhook_event, webhook_subscription

_event = webhook_event.c
_subscription = webhook_subscription.c


@dataclass(frozen=True, slots=True)
class Backlog:
    pending: int
    """Pending events, counted up to the cap."""
    oldest_at: datetime | None
    """When the oldest event at the head of a subscription's outbox happened; None: nothing waits."""


async def backlog(connection: AsyncConnection, cap: int) -> Backlog:
    """One statement: a count stopped at `cap` over the pending index, and per active subscription one
    probe of that index for its head event (the oldest waiting is at a head, since each subscription's
    events are posted in order)."""
    pending = select(_event.seq).where(_event.state == EventState.PENDING.value).limit(cap).subquery()
    head = (
        select(_event.created_at)
        .where(_event.subscription_id == _subscription.id, _event.state == EventState.PENDING.value)
        .order_by(_event.seq)
        .limit(1)
        .scalar_subquery()
    )
    oldest = select(type_coerce(func.min(head), UTCDateTime())).where(
        _subscription.state == SubscriptionState.ACTIVE.value
    )
    count = select(func.count()).select_from(pending)
    row = (await connection.execute(select(count.scalar_subquery(), oldest.scalar_subquery()))).one()
    return Backlog(int(row[0]), row[1])
