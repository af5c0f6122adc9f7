"""The webhook delivery worker, run in the test's event loop on the test's database and clock, and
subscriptions made through the API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy import select

from orderdesk.core.db import Database
from orderdesk.settings import Settings, WebhookSettings
from orderdesk.webhooks.delivery import DeliveryRules, DeliveryWorker
from orderdesk.webhooks.tables import webhook_attempt, webhook_event
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
    """Each outbox event's state by its `webhook-id`, as the delivery worker left it (the deliveries
    list of the API shows the same; read here so these tests stand on their own)."""
    event = webhook_event.c
    async with database.read() as connection:
        rows = await connection.execute(
            select(event.message_id, event.state).where(event.subscription_id == UUID(subscription_id))
        )
        return {row.message_id: row.state for row in rows}


async def attempts_of(database: Database, subscription_id: str) -> list[Any]:
    """The subscription's attempts in the order they were made."""
    attempt = webhook_attempt.c
    async with database.read() as connection:
        rows = await connection.execute(
            select(attempt.message_id, attempt.status_code, attempt.error, attempt.response_excerpt)
            .where(attempt.subscription_id == UUID(subscription_id))
            .order_by(attempt.id)
        )
        return list(rows)
