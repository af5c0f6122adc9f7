"""Subscribing to webhooks and reading what a subscription's endpoint received, verified as a receiver
verifies it (the Standard Webhooks library).

INTERIM, until the webhooks foundation (subscription API, delivery worker, local receiver) is on main:
a subscription is stored directly and "delivered" reads its outbox in `seq` order, signing each body
as the delivery worker will. The tests use only `subscribe` and `delivered`."""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import select
from standardwebhooks import Webhook

from orderdesk.core.db import Database
from orderdesk.core.webhook_signing import new_secret, signed_headers
from orderdesk.webhooks.models import EventType, OwnerKind, SubscriptionState
from orderdesk.webhooks.tables import webhook_event, webhook_subscription

NOTIFICATION_EVENTS = [EventType.NOTIFICATION_STATUS_CHANGED.value, EventType.ORDER_STATUS_CHANGED.value]


@dataclass(frozen=True)
class Received:
    """One event as it arrived: equal to another with the same id and body, whatever attempt it was."""

    id: str
    body: dict[str, Any]
    headers: dict[str, str] = field(compare=False)


@dataclass(frozen=True)
class Endpoint:
    id: uuid.UUID
    secret: str


def _org(headers: dict[str, str]) -> str:
    token = headers["Authorization"].removeprefix("Bearer ")
    claims = token.split(".")[1]
    org: str = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))["urn:altinn:org"]
    return org


@dataclass
class Subscriptions:
    database: Database

    async def subscribe(
        self, client: httpx.AsyncClient, headers: dict[str, str], events: list[str] | None = None
    ) -> Endpoint:
        endpoint = Endpoint(uuid.uuid4(), new_secret())
        async with self.database.transaction() as connection:
            await connection.execute(
                webhook_subscription.insert().values(
                    id=endpoint.id,
                    owner_kind=OwnerKind.ORGANISATION.value,
                    owner=_org(headers),
                    url="http://127.0.0.1:9/",
                    events=events or NOTIFICATION_EVENTS,
                    description="test",
                    secret=endpoint.secret,
                    state=SubscriptionState.ACTIVE.value,
                    created_at=datetime.now(UTC),
                )
            )
        return endpoint

    async def delivered(self, endpoint: Endpoint, count: int) -> list[Received]:
        """Everything the endpoint received, once every delivery has been made: exactly `count`."""
        async with self.database.read() as connection:
            rows = await connection.execute(
                select(webhook_event.c.message_id, webhook_event.c.body)
                .where(webhook_event.c.subscription_id == endpoint.id)
                .order_by(webhook_event.c.seq)
            )
            posted = [(row.message_id, row.body.encode()) for row in rows]
        received = []
        for message_id, body in posted:
            headers = signed_headers(message_id, datetime.now(UTC), body, [endpoint.secret])
            received.append(Received(message_id, Webhook(endpoint.secret).verify(body, headers), headers))
        assert len(received) == count, [r.body for r in received]
        return received
