"""Delivering webhooks: a backlog of 100 000 `notification.status_changed` events in the outbox of one
subscription, posted by the DeliveryWorker (claim under a lease, one POST at a time in outbox order,
each signed, the results written per batch) to a local receiver that answers 204, against a bare
httpx.AsyncClient posting the same bodies one after another over a kept-alive connection to the same
receiver. Events per second. The receiver (bench.webhook_sink) is plain asyncio in a process of its own.

The events are written straight into the outbox (COPY, as `outbox.record_events` writes them), like a
seeding step: what is measured is their delivery.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import func, select

from bench import webhook_sink
from bench.common import Comparison, fresh_database
from orderdesk.core.clock import wire_time
from orderdesk.core.db import Database
from orderdesk.core.outbound import AddressPolicy
from orderdesk.core.webhook_signing import new_secret
from orderdesk.settings import WebhookSettings
from orderdesk.webhooks.delivery import DeliveryRules, DeliveryWorker
from orderdesk.webhooks.models import EventState, EventType, Owner, OwnerKind
from orderdesk.webhooks.repository import outbox, subscriptions
from orderdesk.webhooks.tables import webhook_event

EVENTS = 100_000
BASELINE_SAMPLE = 20_000
"""Posts the bare client makes before and after the drain: its rate does not change with the count,
and 200 000 more posts would double the benchmark's time on a 2-core machine."""
LOOPBACK = AddressPolicy.from_text("127.0.0.0/8")


def _status_changed(index: int, at: datetime) -> dict[str, object]:
    """The data of a notification.status_changed event, field for field as the notification family
    writes it."""
    return {
        "notificationId": str(uuid.uuid4()),
        "orderId": "0f8fad5b-d9cb-469f-a165-70867728950e",
        "shipmentId": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
        "sendersReference": "bench-webhooks",
        "channel": "email",
        "recipient": f"r{index}@example.com",
        "oldStatus": "Email_Sending",
        "newStatus": "Email_Delivered",
        "changedAt": wire_time(at),
    }


async def seeded(database: Database, url: str, count: int) -> None:
    """One active subscription to `url` with `count` pending events in its outbox."""
    now = datetime.now(UTC)
    subscription_id = uuid.uuid4()
    async with database.transaction() as connection:
        await subscriptions.insert(
            connection,
            subscription_id=subscription_id,
            owner=Owner(OwnerKind.ORGANISATION, "bench"),
            url=url,
            events=(EventType.NOTIFICATION_STATUS_CHANGED,),
            description="benchmark",
            secret=new_secret(),
            now=now,
        )
        await outbox.insert_rows(
            connection,
            [
                {
                    "message_id": outbox.message_id(),
                    "subscription_id": subscription_id,
                    "type": EventType.NOTIFICATION_STATUS_CHANGED.value,
                    "body": outbox.event_body(
                        EventType.NOTIFICATION_STATUS_CHANGED, now, _status_changed(index, now)
                    ),
                    "created_at": now + timedelta(microseconds=index),
                    "state": EventState.PENDING.value,
                    "attempts": 0,
                }
                for index in range(count)
            ],
        )


async def _count(database: Database, state: EventState) -> int:
    async with database.read() as connection:
        return int(
            (
                await connection.execute(
                    select(func.count())
                    .select_from(webhook_event)
                    .where(webhook_event.c.state == state.value)
                )
            ).scalar_one()
        )


async def orderdesk_delivery(url: str, count: int) -> float:
    """Events per second: the DeliveryWorker with the settings' defaults draining the backlog."""
    _url, database = await fresh_database("webhooks")
    try:
        await seeded(database, url, count)
        settings = WebhookSettings()
        worker = DeliveryWorker(
            database,
            DeliveryRules.from_settings(settings),
            lambda: datetime.now(UTC),
            LOOPBACK,
            max_answer_bytes=settings.max_answer_bytes,
        )
        try:
            started = time.perf_counter()
            while await _count(database, EventState.PENDING):
                await worker.step_and_settle()
            elapsed = time.perf_counter() - started
        finally:
            await worker.aclose()
        delivered = await _count(database, EventState.DELIVERED)
        if delivered != count:
            raise RuntimeError(f"{delivered} of {count} events delivered")
        return count / elapsed
    finally:
        await database.dispose()


async def httpx_alone(url: str, count: int) -> float:
    """Events per second: the same bodies posted one after another by a bare client, kept alive."""
    now = datetime.now(UTC)
    bodies = [
        outbox.event_body(EventType.NOTIFICATION_STATUS_CHANGED, now, _status_changed(index, now)).encode()
        for index in range(count)
    ]
    headers = {"content-type": "application/json"}
    async with httpx.AsyncClient() as http:
        started = time.perf_counter()
        for body in bodies:
            answer = await http.post(url, content=body, headers=headers)
            if answer.status_code != 204:
                raise RuntimeError(f"the receiver answered {answer.status_code}")
        return count / (time.perf_counter() - started)


async def run(count: int = EVENTS, sample: int = BASELINE_SAMPLE) -> Comparison:
    """The backlog drained once; the bare client timed over `sample` posts just before and just after
    it, so that both see the machine as it was around the drain."""
    with webhook_sink.running() as base_url:
        url = f"{base_url}/hooks"
        baseline = [await httpx_alone(url, sample)]
        ours = [await orderdesk_delivery(url, count)]
        baseline.append(await httpx_alone(url, sample))
    return Comparison(
        title=(
            f"Webhook delivery: {count:,} notification.status_changed events of one subscription"
            " to a local receiver (204)"
        ),
        unit="events/s",
        ours=ours,
        baseline=baseline,
        baseline_name="a bare httpx.AsyncClient posting the same bodies one after another, kept alive",
        target=0.6,
        notes=(
            f"orderdesk drained the whole backlog of {count:,} events once, with the DeliveryWorker's"
            " default settings (batches of 100, a 60 s lease renewed in the background): it claims the"
            " subscription, reads its pending events in outbox order, signs each (Standard Webhooks"
            " headers), posts it, and writes every batch's results (the events delivered, an attempt"
            " row each) in one transaction while it posts the next batch. The bare client posted"
            f" {sample:,} of the same bodies just before and just after the drain (its rate does not"
            " change with the count). Both post one event at a time, as a subscription's order"
            " requires; the receiver is bench.webhook_sink, plain asyncio in a process of its own."
        ),
    )
