"""The webhook delivery worker, run in the test's event loop on the test's database and clock, and
subscriptions made through the API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy import select

from orderdesk.core.db import Database
from orderdesk.settings import Settings, WebhookSettings
from orderdesk.webhooks.delivery import DeliveryRules, DeliveryWorker
from orderdesk.webhooks.tables import webhook_event
from tests.conftest import Clock, Tokens

NOTIFICATION_HOOKS = "/notifications/api/v1/webhooks"
DATA_HOOKS = "/api/v1/rs-order/user/webhooks"

Subscribe = Callable[..., Awaitable[dict[str, Any]]]


def worker_for(database: Database, settings: Settings, clock: Clock, **overrides: Any) -> DeliveryWorker:
    rules = DeliveryRules.from_settings(WebhookSettings(**overrides))
    return DeliveryWorker(
        database,
        rules,
        clock,
        settings.outbound.policy,
        max_answer_bytes=settings.webhooks.max_answer_bytes,
    )


@pytest.fixture
async def webhook_worker(
    database: Database, settings: Settings, clock: Clock
) -> AsyncIterator[DeliveryWorker]:
    worker = worker_for(database, settings, clock)
    yield worker
    await worker.aclose()


@pytest.fixture
def subscribe(client: httpx.AsyncClient, tokens: Tokens) -> Subscribe:
    """Subscribe `url` for organisation `org` (default ttd) through the API; the 201 answer's body."""

    async def create(
        url: str, *, org: str = "ttd", events: tuple[str, ...] = ("notification.status_changed",)
    ) -> dict[str, Any]:
        answer = await client.post(
            NOTIFICATION_HOOKS,
            json={"url": url, "events": list(events), "description": "test"},
            headers=tokens.bearer(org),
        )
        assert answer.status_code == 201, answer.text
        created: dict[str, Any] = answer.json()
        return created

    return create


async def ping(client: httpx.AsyncClient, tokens: Tokens, subscription_id: str, org: str = "ttd") -> str:
    """Queue a `webhook.ping` through `POST …/{id}/test`; its `webhook-id`."""
    answer = await client.post(f"{NOTIFICATION_HOOKS}/{subscription_id}/test", headers=tokens.bearer(org))
    assert answer.status_code == 202, answer.text
    message_id: str = answer.json()["messageId"]
    return message_id


async def shown(
    client: httpx.AsyncClient, tokens: Tokens, subscription_id: str, org: str = "ttd"
) -> dict[str, Any]:
    """The subscription as its owner reads it (`GET …/webhooks/{id}`)."""
    answer = await client.get(f"{NOTIFICATION_HOOKS}/{subscription_id}", headers=tokens.bearer(org))
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def outbox_states(database: Database, subscription_id: str) -> dict[str, str]:
    """Each outbox event's state by its `webhook-id`, as the delivery worker left it, read from the
    outbox: the deliveries list shows only events that were attempted, and these tests also follow
    events never posted (waiting behind a failing one, or failed with their disabled subscription)."""
    event = webhook_event.c
    async with database.read() as connection:
        rows = await connection.execute(
            select(event.message_id, event.state).where(event.subscription_id == UUID(subscription_id))
        )
        return {row.message_id: row.state for row in rows}


@dataclass(frozen=True)
class Delivery:
    """One attempt as the deliveries list shows it."""

    message_id: str
    status_code: int | None
    error: str | None
    response_excerpt: str | None
    event_state: str | None


async def attempts_of(
    client: httpx.AsyncClient, tokens: Tokens, subscription_id: str, org: str = "ttd"
) -> list[Delivery]:
    """The subscription's attempts in the order they were made, read page by page through
    `GET …/webhooks/{id}/deliveries` (newest first there)."""
    found: list[Delivery] = []
    url: str | None = f"{NOTIFICATION_HOOKS}/{subscription_id}/deliveries?pageSize=100"
    while url is not None:
        answer = await client.get(url, headers=tokens.bearer(org))
        assert answer.status_code == 200, answer.text
        page = answer.json()
        found += [
            Delivery(
                item["messageId"],
                item["statusCode"],
                item["error"],
                item["responseExcerpt"],
                item["eventState"],
            )
            for item in page["deliveries"]
        ]
        url = page["next"]
    return found[::-1]
