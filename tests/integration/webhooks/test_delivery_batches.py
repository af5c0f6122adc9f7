"""A run over several batches: each full batch's results are written while the next is posted, every
event arrives once and in order, and a failure in a later batch leaves what was delivered before it
written and a fresh failure streak (not the one the subscription had before its deliveries)."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx

from orderdesk.core.db import Database
from orderdesk.settings import Settings
from tests.conftest import Clock, Tokens
from tests.integration.webhooks.conftest import Subscribe, attempts_of, outbox_states, ping, shown, worker_for
from tests.support.webhook_receiver import webhook_receiver

EVENTS = 10


async def test_several_batches__each_event_once_in_order__every_result_written(
    client: httpx.AsyncClient,
    tokens: Tokens,
    subscribe: Subscribe,
    database: Database,
    settings: Settings,
    clock: Clock,
) -> None:
    worker = worker_for(database, settings, clock, batch=3)
    try:
        with webhook_receiver() as receiver:
            created = await subscribe(receiver.url)
            queued = [await ping(client, tokens, created["id"]) for _ in range(EVENTS)]

            await worker.step_and_settle()

        assert [item.message_id for item in receiver.received] == queued
        assert await outbox_states(database, created["id"]) == dict.fromkeys(queued, "delivered")
        attempts = await attempts_of(client, tokens, created["id"])
        assert [attempt.message_id for attempt in attempts] == queued
        assert {attempt.status_code for attempt in attempts} == {200}
    finally:
        await worker.aclose()


async def test_failure_in_a_later_batch__deliveries_before_it_written__a_new_failure_streak(
    client: httpx.AsyncClient,
    tokens: Tokens,
    subscribe: Subscribe,
    database: Database,
    settings: Settings,
    clock: Clock,
) -> None:
    worker = worker_for(database, settings, clock, batch=3)
    try:
        with webhook_receiver() as receiver:
            receiver.statuses = [500]
            created = await subscribe(receiver.url)
            queued = [await ping(client, tokens, created["id"]) for _ in range(EVENTS)]
            await worker.step_and_settle()  # the first event fails: a streak since now
            clock.advance(timedelta(days=1))
            receiver.statuses = [200] * 4 + [503]

            await worker.step_and_settle()  # a batch of 3 and one more delivered, then a failure
            failing = await shown(client, tokens, created["id"])
            states = await outbox_states(database, created["id"])
            clock.advance(timedelta(minutes=1))  # the back-off of a first failure is 5 s
            await worker.step_and_settle()

        assert [states[message_id] for message_id in queued] == ["delivered"] * 4 + ["pending"] * 6
        # The streak restarted at the failure after the deliveries, not a day before them.
        assert datetime.fromisoformat(failing["failingSince"]) > clock() - timedelta(hours=1)
        assert [item.status for item in receiver.received] == [500, 200, 200, 200, 200, 503, *[200] * 6]
        arrived = [item.message_id for item in receiver.acknowledged()]
        assert arrived == queued
        assert set((await outbox_states(database, created["id"])).values()) == {"delivered"}
        assert len(await attempts_of(client, tokens, created["id"])) == EVENTS + 2
    finally:
        await worker.aclose()
