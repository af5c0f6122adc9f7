"""What must not stop the pipeline or make it send twice: a send condition that answers garbage, a
relay whose reply no database can store, a relay so slow that the batch outlives its first lease,
and a worker told to stop in the middle of a batch."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from pathlib import Path

import httpx

from orderdesk.core.db import Database
from orderdesk.notifications.models import Channel
from orderdesk.notifications.repository import queue
from orderdesk.notifications.tasks.pipeline import NotificationPipeline
from orderdesk.settings import Settings
from tests.conftest import Clock
from tests.factories.notifications import email_order
from tests.integration.notifications.test_smtp_provider import smtp_pipeline
from tests.support.http_stub import http_stub
from tests.support.notifications_api import notifications, outbox_mail, place, status
from tests.support.smtp_sink import SmtpSink


def recipients(count: int) -> list[dict[str, str]]:
    return [{"emailAddress": f"r{index}@example.com"} for index in range(count)]


async def test_send_condition_answer_that_breaks_the_json_parser__inconclusive_then_sent(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    pipeline: NotificationPipeline,
    clock: Clock,
    outbox_home: Path,
) -> None:
    with http_stub() as stub:
        endpoint = stub.answer("/condition", 200, "[" * 50_000)  # nested too deep for json
        order_id = await place(
            client, auth, "/orders/email", email_order(requestedSendTime=None, conditionEndpoint=endpoint)
        )
        await pipeline.run_until_idle()
        assert (await status(client, auth, order_id))["processingStatus"]["status"] == "Registered"

        clock.advance(timedelta(seconds=pipeline.settings.condition_retry_delay_seconds + 1))
        await pipeline.run_until_idle()

    assert len(outbox_mail(outbox_home)) == 1
    assert (await status(client, auth, order_id))["processingStatus"]["status"] == "Completed"


async def test_relay_reply_with_a_nul_byte__the_refusal_is_still_recorded(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    database: Database,
    settings: Settings,
    clock: Clock,
    sink: SmtpSink,
    tmp_path: Path,
) -> None:
    sink.replies["bad@example.com"] = "550 5.1.1 no such\x00user"
    pipeline = smtp_pipeline(database, settings, clock, sink, tmp_path / "home")
    try:
        order_id = await place(
            client,
            auth,
            "/orders/email",
            email_order(
                requestedSendTime=None,
                recipients=[{"emailAddress": "good@example.com"}, {"emailAddress": "bad@example.com"}],
            ),
        )
        await pipeline.run_until_idle()
    finally:
        await pipeline.aclose()

    summary = await notifications(client, auth, order_id, "email")
    found = {n["recipient"]["emailAddress"]: n["sendStatus"]["status"] for n in summary["notifications"]}
    assert found["bad@example.com"] == "Failed_Bounced"
    assert found["good@example.com"] in ("Succeeded", "Delivered")
    assert sink.recipients() == Counter({"good@example.com": 1})


async def test_batch_outliving_its_first_lease__kept_by_renewal__no_other_worker_takes_it(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    database: Database,
    settings: Settings,
    clock: Clock,
    sink: SmtpSink,
    tmp_path: Path,
) -> None:
    lease = timedelta(seconds=1.5)
    pipeline = smtp_pipeline(
        database, settings, clock, sink, tmp_path / "home", worker_lease_seconds=lease.total_seconds()
    )
    sink.accept_limit = 0  # every DATA waits until the sink is released
    try:
        order_id = await place(
            client, auth, "/orders/email", email_order(requestedSendTime=None, recipients=recipients(2))
        )
        await pipeline.schedule()
        await pipeline.settle()  # the orders it claimed are carried out in tasks of their own
        sending = asyncio.create_task(pipeline.email.step())
        await sink.wait_until(stalled=2)
        await asyncio.sleep(lease.total_seconds() * 2)  # well past the first lease

        async with database.transaction() as connection:
            _token, taken = await queue.claim_notifications(
                connection, Channel.EMAIL, now=clock(), limit=100, lease=lease
            )
        assert taken == []  # another worker finds nothing to take over

        sink.release()  # the stalled messages are refused (451) and go back to the queue
        await sending
    finally:
        await pipeline.aclose()
    summary = await notifications(client, auth, order_id, "email")
    assert {n["sendStatus"]["status"] for n in summary["notifications"]} == {"New"}
    assert sink.received == []


async def test_worker_told_to_stop_mid_batch__unstarted_messages_go_back_at_once(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    database: Database,
    settings: Settings,
    clock: Clock,
    sink: SmtpSink,
    tmp_path: Path,
) -> None:
    pipeline = smtp_pipeline(
        database, settings, clock, sink, tmp_path / "home", smtp_connections=1, worker_concurrency=1
    )
    sink.accept_limit = 1  # the first message goes through, the second stalls
    try:
        order_id = await place(
            client, auth, "/orders/email", email_order(requestedSendTime=None, recipients=recipients(5))
        )
        await pipeline.schedule()
        await pipeline.settle()  # the orders it claimed are carried out in tasks of their own
        sending = asyncio.create_task(pipeline.email.step())
        await sink.wait_until(received=1, stalled=1)
        pipeline.stopping.set()
        sink.release()
        await sending
    finally:
        await pipeline.aclose()

    summary = await notifications(client, auth, order_id, "email")
    states = Counter(n["sendStatus"]["status"] for n in summary["notifications"])
    # One sent, the stalled one refused (back to New), the three never started are New again (not
    # left Sending until the lease runs out).
    assert states["New"] == 4
    assert states["Succeeded"] + states["Delivered"] == 1
    assert len(sink.received) == 1
