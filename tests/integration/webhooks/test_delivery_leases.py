"""The delivery worker's lease over a subscription: a stop writes what was delivered and hands the
subscription back at once; a cancelled run does the same; a run whose lease ran out stops before its
next attempt, and the worker that took over posts every event not written as delivered."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx

from orderdesk.core.db import Database
from orderdesk.settings import Settings, WebhookSettings
from orderdesk.webhooks.delivery import DeliveryRules, DeliveryWorker
from orderdesk.webhooks.tables import webhook_subscription
from tests.conftest import Clock, Tokens
from tests.integration.webhooks.conftest import Subscribe, outbox_states, ping, worker_for
from tests.support.webhook_receiver import WebhookReceiver, webhook_receiver

EVENTS = 10


async def until_received(receiver: WebhookReceiver, count: int) -> None:
    async with asyncio.timeout(20):
        while len(receiver.received) < count:
            await asyncio.sleep(0.01)


async def test_stop__what_was_delivered_is_written__the_rest_posted_at_once_by_another_worker(
    client: httpx.AsyncClient,
    tokens: Tokens,
    subscribe: Subscribe,
    database: Database,
    settings: Settings,
    clock: Clock,
) -> None:
    stopping = asyncio.Event()
    rules = DeliveryRules.from_settings(WebhookSettings())
    policy = settings.outbound.policy
    stopped = DeliveryWorker(database, rules, clock, policy, max_answer_bytes=4096, stopping=stopping)
    successor = worker_for(database, settings, clock)
    try:
        with webhook_receiver() as receiver:
            receiver.delay_seconds = 0.05
            created = await subscribe(receiver.url)
            queued = [await ping(client, tokens, created["id"]) for _ in range(EVENTS)]
            await stopped.step()
            await until_received(receiver, 2)

            stopping.set()
            await stopped.in_flight.settle()
            posted = [item.message_id for item in receiver.received]
            states = await outbox_states(database, created["id"])
            await successor.step_and_settle()  # no lease to wait for: it was handed back

        assert 2 <= len(posted) < EVENTS
        assert [states[message_id] for message_id in queued] == ["delivered"] * len(posted) + ["pending"] * (
            EVENTS - len(posted)
        )
        assert [item.message_id for item in receiver.received] == queued  # each once, in order
    finally:
        await stopped.aclose()
        await successor.aclose()


async def test_cancelled_run__what_was_delivered_is_written__the_subscription_handed_back(
    client: httpx.AsyncClient,
    tokens: Tokens,
    subscribe: Subscribe,
    database: Database,
    settings: Settings,
    clock: Clock,
) -> None:
    cancelled = worker_for(database, settings, clock)
    successor = worker_for(database, settings, clock)
    try:
        with webhook_receiver() as receiver:
            receiver.delay_seconds = 0.05
            created = await subscribe(receiver.url)
            queued = [await ping(client, tokens, created["id"]) for _ in range(EVENTS)]
            await cancelled.step()
            await until_received(receiver, 3)

            await cancelled.in_flight.cancel()  # a stop whose grace ran out
            states = await outbox_states(database, created["id"])
            await successor.step_and_settle()
            await until_received(receiver, EVENTS)

        delivered = [message_id for message_id in queued if states[message_id] == "delivered"]
        assert len(delivered) >= 2
        assert delivered == queued[: len(delivered)]
        arrived = [item.message_id for item in receiver.received]
        assert set(arrived) == set(queued)
        assert list(dict.fromkeys(arrived)) == queued
        assert set(delivered).isdisjoint(arrived[len(delivered) + 1 :])  # written: never posted again
        assert set((await outbox_states(database, created["id"])).values()) == {"delivered"}
    finally:
        await cancelled.aclose()
        await successor.aclose()


async def test_lease_run_out__the_run_stops_before_its_next_attempt__the_new_holder_posts_the_rest(
    client: httpx.AsyncClient,
    tokens: Tokens,
    subscribe: Subscribe,
    database: Database,
    settings: Settings,
    clock: Clock,
) -> None:
    first = worker_for(database, settings, clock)
    second = worker_for(database, settings, clock)
    try:
        with webhook_receiver() as receiver:
            receiver.delay_seconds = 0.05
            created = await subscribe(receiver.url)
            queued = [await ping(client, tokens, created["id"]) for _ in range(EVENTS)]
            await first.step()
            await until_received(receiver, 2)

            clock.advance(timedelta(minutes=5))  # past the first worker's lease
            await second.step()
            await first.in_flight.settle()
            arrived_when_first_stopped = [item.message_id for item in receiver.received]
            await second.in_flight.settle()

        assert len(arrived_when_first_stopped) < EVENTS  # the first stopped after its attempt under way
        arrived = [item.message_id for item in receiver.received]
        assert set(arrived) == set(queued)
        assert list(dict.fromkeys(arrived)) == queued
        assert set((await outbox_states(database, created["id"])).values()) == {"delivered"}
        async with database.read() as connection:
            lease = (await connection.execute(webhook_subscription.select())).one().lease_token
        assert lease is None  # the second worker handed it back
    finally:
        await first.aclose()
        await second.aclose()
