"""The webhook delivery worker, run in the test's event loop on the test's database and clock, and
subscriptions made through the API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from orderdesk.core.db import Database
from orderdesk.settings import Settings, WebhookSettings
from orderdesk.webhooks.delivery import DeliveryRules, DeliveryWorker
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
