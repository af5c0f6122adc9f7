"""Worker heartbeats: what a worker process records about itself, and the takeover of the claims of a
worker that went silent, once its heartbeat is stale and long before its lease would run out."""

from __future__ import annotations

import asyncio
import os
import socket
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import select

from orderdesk.core.activity import Activity, in_loop, report
from orderdesk.core.db import Database
from orderdesk.core.heartbeat import Heartbeat, HeartbeatRules, worker_process
from orderdesk.core.wakeup import Wakeups
from orderdesk.dataorders.service import staging
from orderdesk.notifications.models import Channel
from orderdesk.notifications.repository import queue
from orderdesk.notifications.tasks.pipeline import NotificationPipeline
from orderdesk.settings import Settings
from tests.conftest import Clock
from tests.factories.notifications import sms_order
from tests.support.notifications_api import DAYTIME, notifications, outbox_sms, place, status

RULES = HeartbeatRules(interval=timedelta(seconds=2), stale_after=timedelta(seconds=10))
LEASE = timedelta(minutes=5)


def heartbeat(database: Database, clock: Clock) -> Heartbeat:
    return Heartbeat(
        database, RULES, clock, Activity(clock), [queue.release_claims_of, staging.release_claims_of]
    )


def numbers(count: int) -> list[dict[str, str]]:
    return [{"mobileNumber": f"+47900{index:05d}"} for index in range(count)]


async def sms_states(client: httpx.AsyncClient, auth: dict[str, str], order_id: str) -> set[str]:
    body = await notifications(client, auth, order_id, "sms")
    return {n["sendStatus"]["status"] for n in body["notifications"]}


async def test_heartbeat__records_host_pid_and_what_each_loop_does__row_removed_on_stop(
    database: Database, clock: Clock
) -> None:
    activity = Activity(clock)
    beating = Heartbeat(database, RULES, clock, activity, [])
    with in_loop(activity, "notification-email"):
        report("sending 500 email notifications through smtp")
    with in_loop(activity, "notification-sms"):
        report("idle")
    await beating.start()
    try:
        async with database.transaction() as connection:
            [row] = (
                await connection.execute(select(worker_process).where(worker_process.c.id == beating.id))
            ).all()
        assert (row.host, row.pid) == (socket.gethostname(), os.getpid())
        assert row.last_seen_at >= row.started_at
        assert {loop: doing["doing"] for loop, doing in row.activity.items()} == {
            "notification-email": "sending 500 email notifications through smtp",
            "notification-sms": "idle",
        }
    finally:
        await beating.stop()
    async with database.transaction() as connection:
        rows = (await connection.execute(select(worker_process.c.id))).all()
    assert rows == []


async def test_notifications_claimed_by_a_silent_worker__sent_once_its_heartbeat_is_stale(
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
    await pipeline.settle()  # the claimed orders are carried out in tasks of their own
    dead, survivor = heartbeat(database, clock), heartbeat(database, clock)
    await dead.beat()
    await survivor.beat()
    # The worker claims the notifications, then dies (no more beats) before sending any of them.
    async with database.transaction() as connection:
        _token, claimed = await queue.claim_notifications(
            connection, Channel.SMS, now=clock(), limit=100, lease=LEASE, worker=dead.id
        )
    assert len(claimed) == 5

    clock.advance(timedelta(seconds=8))
    await survivor.beat()
    assert await survivor.release_silent() == []  # a few beats missed is not dead yet
    await pipeline.run_until_idle()
    assert await sms_states(client, auth, order_id) == {"Sending"}

    clock.advance(timedelta(seconds=3))
    await survivor.beat()
    assert await survivor.release_silent() == [dead.id]
    await pipeline.run_until_idle()
    assert await sms_states(client, auth, order_id) == {"Delivered"}
    assert len(outbox_sms(outbox_home)) == 5


async def test_notifications_of_a_worker_that_keeps_beating__never_taken_from_it(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    database: Database,
    pipeline: NotificationPipeline,
    clock: Clock,
    outbox_home: Path,
) -> None:
    clock.set(DAYTIME)
    order_id = await place(
        client, auth, "/orders/sms", sms_order(requestedSendTime=None, recipients=numbers(3))
    )
    await pipeline.schedule()
    await pipeline.settle()  # the claimed orders are carried out in tasks of their own
    slow, other = heartbeat(database, clock), heartbeat(database, clock)
    await slow.beat()
    async with database.transaction() as connection:
        await queue.claim_notifications(
            connection, Channel.SMS, now=clock(), limit=100, lease=LEASE, worker=slow.id
        )
    for _ in range(10):  # a provider that takes a minute: the worker sending stays alive
        clock.advance(timedelta(seconds=6))
        await slow.beat()
        await other.beat()
        assert await other.release_silent() == []
    await pipeline.run_until_idle()
    assert await sms_states(client, auth, order_id) == {"Sending"}
    assert outbox_sms(outbox_home) == []


async def test_order_claimed_by_a_silent_worker__processed_once_its_heartbeat_is_stale(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    database: Database,
    pipeline: NotificationPipeline,
    clock: Clock,
    outbox_home: Path,
) -> None:
    clock.set(DAYTIME)
    order_id = await place(client, auth, "/orders/sms", sms_order(requestedSendTime=None))
    dead, survivor = heartbeat(database, clock), heartbeat(database, clock)
    await dead.beat()
    async with database.transaction() as connection:
        [claim] = await queue.claim_due_orders(connection, now=clock(), limit=10, lease=LEASE, worker=dead.id)
    await pipeline.run_until_idle()
    assert (await status(client, auth, order_id))["processingStatus"]["status"] == "Processing"

    clock.advance(timedelta(seconds=11))
    await survivor.beat()
    assert await survivor.release_silent() == [dead.id]
    await pipeline.run_until_idle()
    assert (await status(client, auth, order_id))["processingStatus"]["status"] == "Completed"
    assert len(outbox_sms(outbox_home)) == 1
    # Had it only been slow, its late write is refused: its lease token is no longer the order's.
    async with database.transaction() as connection:
        assert not await queue.store_expansion(connection, claim, [], now=clock())


async def test_two_workers_find_the_same_silent_worker_at_once__its_claims_released_once(
    database: Database, clock: Clock
) -> None:
    dead = heartbeat(database, clock)
    await dead.beat()
    clock.advance(timedelta(seconds=11))
    others = [heartbeat(database, clock) for _ in range(4)]
    for other in others:
        await other.beat()
    results = await asyncio.gather(*(other.release_silent() for other in others))
    assert sum(result.count(dead.id) for result in results) == 1

    # Beating again (it was only slow) makes it a live worker again, to be released anew if it goes
    # silent again.
    await dead.beat()
    clock.advance(timedelta(seconds=11))
    await others[0].beat()
    assert dead.id in await others[0].release_silent()


async def test_worker_whose_own_heartbeat_lapsed__claims_and_sends_nothing__until_it_beats_again(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    database: Database,
    settings: Settings,
    clock: Clock,
    outbox_home: Path,
) -> None:
    """Cut off from the database for a while, a worker may be taken for dead and its rows given to
    others: it must not go on starting messages the others may be sending too."""
    clock.set(DAYTIME)
    own = heartbeat(database, clock)
    await own.beat()
    pipeline = NotificationPipeline.build(
        database,
        settings.notifications,
        outbox_home,
        clock,
        Wakeups(),
        heartbeat=own,
        outbound=settings.outbound,
    )
    try:
        order_id = await place(
            client, auth, "/orders/sms", sms_order(requestedSendTime=None, recipients=numbers(3))
        )
        await pipeline.schedule()
        await pipeline.settle()  # the claimed orders are carried out in tasks of their own
        clock.advance(timedelta(seconds=9))  # beats missed: the others take it for dead at 10 s
        await pipeline.sms.step()
        assert await sms_states(client, auth, order_id) == {"New"}
        assert outbox_sms(outbox_home) == []

        await own.beat()
        await pipeline.run_until_idle()
        assert await sms_states(client, auth, order_id) == {"Delivered"}
        assert len(outbox_sms(outbox_home)) == 3
    finally:
        await pipeline.aclose()


async def test_worker_stopped_gracefully__what_it_still_held_is_sent_by_another_at_once(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    database: Database,
    pipeline: NotificationPipeline,
    clock: Clock,
    outbox_home: Path,
) -> None:
    clock.set(DAYTIME)
    order_id = await place(
        client, auth, "/orders/sms", sms_order(requestedSendTime=None, recipients=numbers(4))
    )
    await pipeline.schedule()
    await pipeline.settle()  # the claimed orders are carried out in tasks of their own
    stopping = heartbeat(database, clock)
    await stopping.start()
    # Claimed, then the grace period of the stop ended before it was sent.
    async with database.transaction() as connection:
        await queue.claim_notifications(
            connection, Channel.SMS, now=clock(), limit=100, lease=LEASE, worker=stopping.id
        )
    await stopping.stop()

    await pipeline.run_until_idle()
    assert await sms_states(client, auth, order_id) == {"Delivered"}
    assert len(outbox_sms(outbox_home)) == 4
