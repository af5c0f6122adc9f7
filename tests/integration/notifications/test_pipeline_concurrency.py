"""Several workers on one database: every notification is sent exactly once, and what a dead worker
had claimed is taken up again when its lease runs out."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from pathlib import Path

import httpx

from orderdesk.core.db import Database
from orderdesk.core.wakeup import Wakeups
from orderdesk.notifications.models import Channel
from orderdesk.notifications.repository import queue
from orderdesk.notifications.tasks.pipeline import NotificationPipeline
from orderdesk.settings import Settings
from tests.conftest import Clock
from tests.factories.notifications import sms_order
from tests.support.notifications_api import (
    DAYTIME,
    notifications,
    outbox_sms,
    place,
    status,
)


def numbers(count: int) -> list[dict[str, str]]:
    return [{"mobileNumber": f"+47900{index:05d}"} for index in range(count)]


async def test_two_workers_racing__each_sms_sent_exactly_once(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    database: Database,
    settings: Settings,
    clock: Clock,
    outbox_home: Path,
) -> None:
    clock.set(DAYTIME)
    small_batches = settings.notifications.model_copy(
        update={"worker_dispatch_batch": 25, "worker_order_batch": 1}
    )
    workers = [
        NotificationPipeline.build(
            database, small_batches, outbox_home, clock, Wakeups(), outbound=settings.outbound
        )
        for _ in range(3)
    ]
    order_ids = [
        await place(client, auth, "/orders/sms", sms_order(requestedSendTime=None, recipients=numbers(150)))
        for _ in range(2)
    ]
    try:
        await asyncio.gather(*(worker.run_until_idle() for worker in workers))
    finally:
        for worker in workers:
            await worker.aclose()

    sent = Counter(line["id"] for line in outbox_sms(outbox_home))
    assert len(sent) == 300
    assert set(sent.values()) == {1}
    for order_id in order_ids:
        body = await status(client, auth, order_id)
        assert body["processingStatus"]["status"] == "Completed"
        assert body["notificationsStatusSummary"]["sms"]["generated"] == 150
        assert body["notificationsStatusSummary"]["sms"]["succeeded"] == 150


async def test_notifications_claimed_by_a_dead_worker__sent_once_after_the_lease(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    database: Database,
    pipeline: NotificationPipeline,
    clock: Clock,
    outbox_home: Path,
) -> None:
    clock.set(DAYTIME)
    order_id = await place(
        client, auth, "/orders/sms", sms_order(requestedSendTime=None, recipients=numbers(5))
    )
    await pipeline.schedule()
    await pipeline.settle()
    # A worker claims the notifications and dies before sending any of them.
    async with database.transaction() as connection:
        _token, claimed = await queue.claim_notifications(
            connection, Channel.SMS, now=clock(), limit=100, lease=timedelta(minutes=5)
        )
    assert len(claimed) == 5

    await pipeline.run_until_idle()
    states = {
        n["sendStatus"]["status"]
        for n in (await notifications(client, auth, order_id, "sms"))["notifications"]
    }
    assert states == {"Sending"}
    assert outbox_sms(outbox_home) == []

    clock.advance(timedelta(minutes=5, seconds=1))
    await pipeline.run_until_idle()
    assert len(outbox_sms(outbox_home)) == 5
    states = {
        n["sendStatus"]["status"]
        for n in (await notifications(client, auth, order_id, "sms"))["notifications"]
    }
    assert states == {"Delivered"}


async def test_order_claimed_by_a_dead_worker__processed_after_the_lease(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    database: Database,
    pipeline: NotificationPipeline,
    clock: Clock,
    outbox_home: Path,
) -> None:
    clock.set(DAYTIME)
    order_id = await place(client, auth, "/orders/sms", sms_order(requestedSendTime=None))
    async with database.transaction() as connection:
        [claim] = await queue.claim_due_orders(connection, now=clock(), limit=10, lease=timedelta(minutes=5))

    await pipeline.run_until_idle()
    assert (await status(client, auth, order_id))["processingStatus"]["status"] == "Processing"

    clock.advance(timedelta(minutes=5, seconds=1))
    await pipeline.run_until_idle()
    assert (await status(client, auth, order_id))["processingStatus"]["status"] == "Completed"
    assert len(outbox_sms(outbox_home)) == 1

    # The dead worker's late write is refused: its lease token is no longer the order's.
    async with database.transaction() as connection:
        assert not await queue.store_expansion(connection, claim, [], now=clock())
