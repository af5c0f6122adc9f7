"""Retention: delivered and failed events and their attempts are deleted once older than
`retention_days`, a bounded batch per transaction; pending events and recent attempts stay."""

from __future__ import annotations

from datetime import timedelta

import httpx

from orderdesk.core.db import Database
from orderdesk.webhooks.delivery import DeliveryWorker
from orderdesk.webhooks.retention import INTERVAL_SECONDS, RetentionWorker
from tests.conftest import Clock, Tokens
from tests.integration.webhooks.conftest import Subscribe, attempts_of, outbox_states, ping
from tests.support.webhook_receiver import webhook_receiver


async def test_retention__ended_events_and_attempts_past_retention_deleted_in_batches__pending_kept(
    client: httpx.AsyncClient,
    tokens: Tokens,
    subscribe: Subscribe,
    webhook_worker: DeliveryWorker,
    database: Database,
    clock: Clock,
) -> None:
    with webhook_receiver() as receiver:
        created = await subscribe(receiver.url)
        for _ in range(2):
            await ping(client, tokens, created["id"])
        await webhook_worker.step_and_settle()
        clock.advance(timedelta(days=15))
        receiver.default_status = 500
        still_pending = await ping(client, tokens, created["id"])
        await webhook_worker.step_and_settle()
    assert len(await outbox_states(database, created["id"])) == 3
    retention = RetentionWorker(database, 14, clock, batch=1)

    sleeps = [await retention.step() for _ in range(3)]

    assert sleeps == [0.0, 0.0, INTERVAL_SECONDS]  # at once again while a batch was full
    assert await outbox_states(database, created["id"]) == {still_pending: "pending"}
    [attempt] = await attempts_of(client, tokens, created["id"])
    assert attempt.message_id == still_pending
