"""Delivery when receivers fail: down for a while, failing past the give-up window, failing for days,
never answering, or answering too much. Events stay queued and arrive in order once the receiver is
back; what is given up is marked failed; a subscription failing too long is disabled; one slow
receiver holds back no other subscription."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx

from orderdesk.core.db import Database
from orderdesk.settings import Settings
from orderdesk.webhooks.delivery import EXCERPT_CHARS, DeliveryWorker
from tests.conftest import Clock, Tokens
from tests.integration.webhooks.conftest import (
    NOTIFICATION_HOOKS,
    Subscribe,
    attempts_of,
    outbox_states,
    ping,
    shown,
    worker_for,
)
from tests.support.metrics import scrape
from tests.support.slow_listener import slow_listener
from tests.support.webhook_receiver import webhook_receiver
from tests.support.workers import free_port

ATTEMPTS = "orderdesk_webhook_attempts_total"
WAITING = "orderdesk_queue_depth"
WAITED = "orderdesk_queue_oldest_due_age_seconds"
QUEUE = "webhook-events"


async def test_receiver_down__events_stay_queued__then_arrive_once_each_in_order_when_it_listens(
    client: httpx.AsyncClient,
    tokens: Tokens,
    subscribe: Subscribe,
    webhook_worker: DeliveryWorker,
    database: Database,
    clock: Clock,
) -> None:
    port = free_port()  # nothing listens there until the receiver starts below
    created = await subscribe(f"http://127.0.0.1:{port}/hooks")
    queued = [await ping(client, tokens, created["id"]) for _ in range(3)]
    before = await scrape(client)

    await webhook_worker.step_and_settle()
    clock.advance(timedelta(seconds=1))
    await webhook_worker.step_and_settle()  # still in its back-off: not attempted again

    [attempt] = await attempts_of(client, tokens, created["id"])
    assert attempt.message_id == queued[0]
    assert attempt.status_code is None
    assert attempt.error
    assert (await shown(client, tokens, created["id"]))["failingSince"] is not None
    assert set((await outbox_states(database, created["id"])).values()) == {"pending"}
    clock.advance(timedelta(minutes=10))
    waiting = await scrape(client)
    assert waiting.value(WAITING, queue=QUEUE) == 3
    assert waiting.value(WAITED, queue=QUEUE) >= 600
    assert waiting.value(ATTEMPTS, outcome="failed") - before.value(ATTEMPTS, outcome="failed") == 1

    with webhook_receiver(port=port) as receiver:
        await webhook_worker.step_and_settle()

        assert [item.message_id for item in receiver.received] == queued
        assert [item.verify(created["secret"])["type"] for item in receiver.received] == ["webhook.ping"] * 3
        clock.advance(timedelta(hours=1))
        await webhook_worker.step_and_settle()
        assert len(receiver.received) == 3

    assert set((await outbox_states(database, created["id"])).values()) == {"delivered"}
    assert (await shown(client, tokens, created["id"]))["failingSince"] is None
    after = await scrape(client)
    assert after.value(WAITING, queue=QUEUE) == 0
    assert after.value(WAITED, queue=QUEUE) == 0
    assert after.value(ATTEMPTS, outcome="delivered") - before.value(ATTEMPTS, outcome="delivered") == 3


async def test_event_failing_past_the_give_up_window__marked_failed__the_next_event_delivered(
    client: httpx.AsyncClient,
    tokens: Tokens,
    subscribe: Subscribe,
    webhook_worker: DeliveryWorker,
    database: Database,
    clock: Clock,
) -> None:
    with webhook_receiver() as receiver:
        receiver.default_status = 500
        created = await subscribe(receiver.url)
        doomed = await ping(client, tokens, created["id"])
        await webhook_worker.step_and_settle()
        clock.advance(timedelta(days=3, minutes=1))  # past give_up_after (3 days), short of disabling
        following = await ping(client, tokens, created["id"])

        await webhook_worker.step_and_settle()  # the head fails once more: given up
        receiver.default_status = 200
        clock.advance(timedelta(hours=13))  # the longest back-off is 12 hours
        await webhook_worker.step_and_settle()
        clock.advance(timedelta(hours=13))
        await webhook_worker.step_and_settle()

    assert [(item.message_id, item.status) for item in receiver.received] == [
        (doomed, 500),
        (doomed, 500),
        (following, 200),
    ]
    assert await outbox_states(database, created["id"]) == {doomed: "failed", following: "delivered"}
    subscription = await shown(client, tokens, created["id"])
    assert subscription["status"] == "active"
    assert subscription["failingSince"] is None


async def test_subscription_failing_for_five_days__disabled_with_the_reason__its_waiting_events_not_posted(
    client: httpx.AsyncClient,
    tokens: Tokens,
    subscribe: Subscribe,
    webhook_worker: DeliveryWorker,
    database: Database,
    clock: Clock,
) -> None:
    with webhook_receiver() as receiver:
        receiver.default_status = 503
        created = await subscribe(receiver.url)
        first = await ping(client, tokens, created["id"])
        await webhook_worker.step_and_settle()
        # Failing every attempt, every day: each new day's event waits behind the failing head.
        waiting = []
        for _ in range(5):
            clock.advance(timedelta(days=1))
            waiting.append(await ping(client, tokens, created["id"]))
            await webhook_worker.step_and_settle()
        posted = len(receiver.received)
        subscription = await shown(client, tokens, created["id"])

        receiver.default_status = 200
        clock.advance(timedelta(days=1))
        await webhook_worker.step_and_settle()

    assert subscription["status"] == "disabled"
    assert "5 days" in subscription["disabledReason"]
    assert "HTTP 503" in subscription["disabledReason"]
    assert subscription["disabledAt"] is not None
    assert len(receiver.received) == posted  # nothing posted once disabled
    states = await outbox_states(database, created["id"])
    assert set(states.values()) == {"failed"}
    assert set(states) == {first, *waiting}
    refused = await client.post(f"{NOTIFICATION_HOOKS}/{created['id']}/test", headers=tokens.bearer("ttd"))
    assert refused.status_code == 409


async def test_receiver_that_never_answers__one_attempt_per_timeout__another_subscription_still_delivered(
    client: httpx.AsyncClient,
    tokens: Tokens,
    subscribe: Subscribe,
    database: Database,
    settings: Settings,
    clock: Clock,
) -> None:
    worker = worker_for(database, settings, clock, timeout_seconds=5.0)
    try:
        with slow_listener(byte_every_seconds=60.0) as slow, webhook_receiver() as fast:
            stalled = await subscribe(f"{slow.base_url}/hooks")
            healthy = await subscribe(fast.url)
            stalled_events = [await ping(client, tokens, stalled["id"]) for _ in range(2)]
            healthy_events = [await ping(client, tokens, healthy["id"]) for _ in range(3)]

            await worker.step()
            while len(fast.received) < 3 or not slow.calls:
                await asyncio.sleep(0.02)
            # The healthy receiver has all its events while the stalled one still holds its first.
            assert [call.ended for call in slow.calls] == [None]
            await worker.in_flight.settle()

            assert [item.message_id for item in fast.received] == healthy_events
            assert len(slow.calls) == 1  # one attempt, cut at the deadline; the next waits its back-off
            [attempt] = await attempts_of(client, tokens, stalled["id"])
            assert attempt.message_id == stalled_events[0]
            assert attempt.error is not None
            assert "5 s" in attempt.error
            assert (await shown(client, tokens, stalled["id"]))["failingSince"] is not None
            assert (await shown(client, tokens, healthy["id"]))["failingSince"] is None
    finally:
        await worker.aclose()


async def test_large_answer__delivered__only_an_excerpt_kept(
    client: httpx.AsyncClient,
    tokens: Tokens,
    subscribe: Subscribe,
    webhook_worker: DeliveryWorker,
    database: Database,
    clock: Clock,
) -> None:
    with webhook_receiver() as receiver:
        receiver.answer_body = b"x" * 1_000_000
        created = await subscribe(receiver.url)
        message_id = await ping(client, tokens, created["id"])

        await webhook_worker.step_and_settle()
        clock.advance(timedelta(hours=1))
        await webhook_worker.step_and_settle()

    assert [item.message_id for item in receiver.received] == [message_id]
    assert await outbox_states(database, created["id"]) == {message_id: "delivered"}
    [attempt] = await attempts_of(client, tokens, created["id"])
    assert attempt.status_code == 200
    assert attempt.error is None
    assert attempt.response_excerpt == "x" * EXCERPT_CHARS
    assert (await shown(client, tokens, created["id"]))["failingSince"] is None


async def test_per_host_bound__a_host_with_a_run_in_flight_waits__another_host_is_posted_to(
    client: httpx.AsyncClient,
    tokens: Tokens,
    subscribe: Subscribe,
    database: Database,
    settings: Settings,
    clock: Clock,
) -> None:
    worker = worker_for(database, settings, clock, timeout_seconds=5.0, per_host=1)
    try:
        with (
            slow_listener(byte_every_seconds=60.0) as slow,
            webhook_receiver() as same,
            webhook_receiver() as other,
        ):
            stalled = await subscribe(f"{slow.base_url}/hooks")
            same_host = await subscribe(same.url)  # 127.0.0.1, like the stalled one
            other_host = await subscribe(other.url.replace("127.0.0.1", "localhost"))
            await ping(client, tokens, stalled["id"])
            await worker.step()
            while not slow.calls:
                await asyncio.sleep(0.02)
            waiting = await ping(client, tokens, same_host["id"])
            posted = await ping(client, tokens, other_host["id"])

            await worker.step()
            while not other.received:
                await asyncio.sleep(0.02)
            assert [call.ended for call in slow.calls] == [None]
            assert same.received == []  # its host already has as many runs as it may
            await worker.in_flight.settle()
            clock.advance(timedelta(seconds=2))  # past the hand-back (a poll interval)
            await worker.step_and_settle()

            assert [item.message_id for item in other.received] == [posted]
            assert [item.message_id for item in same.received] == [waiting]
    finally:
        await worker.aclose()
