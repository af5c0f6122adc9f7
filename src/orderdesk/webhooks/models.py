"""The vocabulary of webhooks: whose a subscription is, which events there are, and the states of
subscriptions and of the events in their outbox."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID


class OwnerKind(StrEnum):
    """Who a subscription belongs to: a notification creator (organisation) or a data-order user."""

    ORGANISATION = "organisation"
    DATA_USER = "data-user"


class EventType(StrEnum):
    NOTIFICATION_STATUS_CHANGED = "notification.status_changed"
    ORDER_STATUS_CHANGED = "order.status_changed"
    DATAORDER_STATUS_CHANGED = "dataorder.status_changed"
    DATAORDER_FILES_AVAILABLE = "dataorder.files_available"
    PING = "webhook.ping"
    """Sent by `POST …/webhooks/{id}/test` whatever the subscription's events: never subscribed to."""


EVENTS_OF: dict[OwnerKind, tuple[EventType, ...]] = {
    OwnerKind.ORGANISATION: (EventType.NOTIFICATION_STATUS_CHANGED, EventType.ORDER_STATUS_CHANGED),
    OwnerKind.DATA_USER: (EventType.DATAORDER_STATUS_CHANGED, EventType.DATAORDER_FILES_AVAILABLE),
}
"""The events each kind of owner may subscribe to: those about what it owns."""


class SubscriptionState(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"
    """Failing for too long, or its endpoint answered 410 Gone: nothing more is posted to it."""


class EventState(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"
    """Given up: retried for the whole retry window, or its subscription was disabled."""


class AttemptOutcome(StrEnum):
    """How one POST ended, as the deliveries list filters it: a 2xx answer succeeded, anything else
    (another status, no answer at all) failed."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Owner:
    kind: OwnerKind
    id: str
    """The organisation (`urn:altinn:org`) or the data user's e-mail address."""


@dataclass(frozen=True, slots=True)
class OwnedEvent:
    """Something that happened to what `owner` owns, for each of its subscriptions to `type`."""

    owner: Owner
    type: EventType
    data: dict[str, Any]
    """The payload's `data`, as JSON values (strings for ids and times)."""
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class Subscription:
    id: UUID
    owner: Owner
    url: str
    events: tuple[EventType, ...]
    description: str
    state: SubscriptionState
    created_at: datetime
    disabled_reason: str | None = None
    disabled_at: datetime | None = None
    failing_since: datetime | None = None
    secret_rotated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class PendingEvent:
    """An event of the outbox as the delivery worker posts it."""

    seq: int
    """Its place in the outbox: a subscription's events are posted in this order."""
    message_id: str
    """`webhook-id`: the same for every attempt, so a receiver can drop a repeat."""
    type: EventType
    body: bytes
    created_at: datetime
    attempts: int


@dataclass(frozen=True, slots=True)
class ClaimedSubscription:
    """A subscription leased to one worker, which alone posts its events until the lease ends."""

    id: UUID
    url: str
    secrets: tuple[str, ...]
    """Every secret that signs now: the current one, and the previous one for a while after a rotation."""
    lease: str
    consecutive_failures: int
    failing_since: datetime | None
    events: list[PendingEvent] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Attempt:
    """One POST of one event, as its owner reads it in the deliveries list."""

    id: int
    subscription_id: UUID
    message_id: str
    event_type: EventType
    attempted_at: datetime
    status_code: int | None
    duration_ms: int
    response_excerpt: str | None
    error: str | None
    event_state: EventState | None = None
    """The event's state now (None once the event itself is no longer kept)."""


@dataclass(frozen=True, slots=True)
class AttemptPage:
    """One page of a subscription's attempts, newest first."""

    attempts: list[Attempt]
    next_after: int | None
    """The id the next page starts below; None on the last page."""
