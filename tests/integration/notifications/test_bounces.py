"""Bounces: after the relay accepted a message (Succeeded), the receiving side's delivery status
notification comes back to the VERP envelope sender, reaches the bounce intake over SMTP, and turns the
notification into Failed_Bounced, or Delivered when it reports success (the provider asks for that
when the relay offers DSN); delays and unreadable mail change nothing and are still accepted."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosmtplib
import httpx
import pytest
from sqlalchemy import select

from orderdesk.core.db import Database
from orderdesk.core.wakeup import Wakeups
from orderdesk.notifications.tables import dead_delivery_report
from orderdesk.notifications.tasks.bounces import BounceIntake
from orderdesk.notifications.tasks.pipeline import NotificationPipeline
from orderdesk.settings import Settings
from orderdesk.worker_runtime import WorkerRuntime
from tests.conftest import Clock
from tests.factories import contacts
from tests.factories.notifications import email_order, order
from tests.integration.notifications.test_smtp_provider import (
    BOUNCES,
    COMPLETED,
    PROCESSED,
    email_statuses,
    smtp_pipeline,
)
from tests.support.notifications_api import notifications, place, status
from tests.support.smtp_sink import SmtpSink
from tests.support.workers import free_port

_DEADLINE_SECONDS = 30.0


@pytest.fixture
async def pipeline(
    database: Database, settings: Settings, clock: Clock, sink: SmtpSink, tmp_path: Path
) -> AsyncIterator[NotificationPipeline]:
    built = smtp_pipeline(database, settings, clock, sink, tmp_path / "home")
    yield built
    await built.aclose()


@pytest.fixture
async def intake(database: Database, clock: Clock) -> AsyncIterator[BounceIntake]:
    listener = BounceIntake(database, clock, host="127.0.0.1", port=0, max_dead_rows=100)
    await listener.start()
    yield listener
    await listener.stop()


def dsn(
    *,
    final_recipient: str,
    action: str = "failed",
    status: str = "5.1.1",
    diagnostic: str = "smtp; 550 5.1.1 <{recipient}>: Recipient address rejected: User unknown",
    returned: tuple[str, bytes] | None = None,
    envelope_id: str | None = None,
) -> bytes:
    """A delivery status notification as a mail server writes it (RFC 3464), optionally with the
    original message (`message/rfc822`) or its headers (`text/rfc822-headers`)."""
    lines = [
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.com>",
        f"To: {BOUNCES}",
        "Subject: Undelivered Mail Returned to Sender",
        "MIME-Version: 1.0",
        'Content-Type: multipart/report; report-type=delivery-status; boundary="dsn-part"',
        "",
        "--dsn-part",
        "Content-Type: text/plain; charset=us-ascii",
        "",
        "This is the mail system at host mx.example.com. Your message could not be delivered.",
        "",
        "--dsn-part",
        "Content-Type: message/delivery-status",
        "",
        *([f"Original-Envelope-Id: {envelope_id}"] if envelope_id else []),
        "Reporting-MTA: dns; mx.example.com",
        "Arrival-Date: Tue, 24 Nov 2026 10:00:00 +0000",
        "",
        f"Final-Recipient: rfc822; {final_recipient}",
        f"Original-Recipient: rfc822; {final_recipient}",
        f"Action: {action}",
        f"Status: {status}",
        f"Diagnostic-Code: {diagnostic.format(recipient=final_recipient)}",
        "",
    ]
    text = "\r\n".join(lines).encode()
    if returned is not None:
        content_type, content = returned
        text += b"--dsn-part\r\nContent-Type: " + content_type.encode() + b"\r\n\r\n" + content + b"\r\n"
    return text + b"--dsn-part--\r\n"


async def deliver(port: int, rcpt_to: str, content: bytes) -> str:
    """Hand a message to the intake as a mail server would (null envelope sender); the reply text."""
    async with aiosmtplib.SMTP(hostname="127.0.0.1", port=port, timeout=10) as smtp:
        _errors, reply = await smtp.sendmail("", [rcpt_to], content)
    return reply


async def send_two(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    pipeline: NotificationPipeline,
    addresses: tuple[str, ...] = ("ola@example.com", "kari@example.com"),
) -> str:
    order_id = await place(
        client,
        auth,
        "/orders/email",
        email_order(requestedSendTime=None, recipients=[{"emailAddress": a} for a in addresses]),
    )
    await pipeline.run_until_idle()
    assert set(email_statuses(await notifications(client, auth, order_id, "email")).values()) == {"Succeeded"}
    return order_id


async def dead_letters(database: Database) -> list[tuple[str, Any]]:
    """The dead-letter table, which operators read (no API shows it)."""
    async with database.transaction() as connection:
        rows = await connection.execute(
            select(dead_delivery_report.c.reason, dead_delivery_report.c.report).order_by(
                dead_delivery_report.c.received_at
            )
        )
        return [(row.reason, row.report) for row in rows]


async def test_bounce_to_the_verp_address__failed_bounced__counters_drop__order_completes(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    pipeline: NotificationPipeline,
    sink: SmtpSink,
    database: Database,
    settings: Settings,
    clock: Clock,
) -> None:
    """Through the worker runtime: `WorkerRuntime` runs the intake when a bounce port is set."""
    await contacts.load(database)
    order_id = await place(
        client,
        auth,
        "/orders",
        order(
            requestedSendTime=None,
            recipients=[
                {"nationalIdentityNumber": contacts.PERSON_WITH_EMAIL},
                {"emailAddress": "kari@example.com"},
            ],
            emailTemplate={
                "fromAddress": "sender@domain.com",
                "subject": "Hello $recipientName$",
                "body": "Dear $recipientName$.",
                "contentType": "Plain",
            },
        ),
    )
    await pipeline.run_until_idle()
    assert sink.to("ola@example.com").message["Subject"] == "Hello Ola Nordmann"
    before = await status(client, auth, order_id)
    assert before["processingStatus"]["description"] == PROCESSED
    assert before["notificationsStatusSummary"]["email"]["succeeded"] == 2

    port = free_port()
    with_intake = replace_notifications(settings, bounce_smtp_port=port)
    workers = WorkerRuntime(with_intake, database, clock, Wakeups())
    await workers.start()
    try:
        reply = await deliver(
            port, sink.to("ola@example.com").mail_from, dsn(final_recipient="ola@example.com")
        )
        assert reply.startswith("OK")
        await until_status(client, auth, order_id, "ola@example.com", "Failed_Bounced")
        middle = await status(client, auth, order_id)
        assert middle["notificationsStatusSummary"]["email"]["succeeded"] == 1
        assert middle["processingStatus"]["description"] == PROCESSED  # kari's report is still due

        await deliver(port, sink.to("kari@example.com").mail_from, dsn(final_recipient="kari@example.com"))
        await until_status(client, auth, order_id, "kari@example.com", "Failed_Bounced")
    finally:
        await workers.stop()

    after = await status(client, auth, order_id)
    assert after["processingStatus"]["status"] == "Completed"
    assert after["processingStatus"]["description"] == COMPLETED
    assert after["notificationsStatusSummary"]["email"]["succeeded"] == 0
    summary = await notifications(client, auth, order_id, "email")
    assert (summary["generated"], summary["succeeded"]) == (2, 0)


def replace_notifications(settings: Settings, **update: Any) -> Settings:
    return settings.model_copy(update={"notifications": settings.notifications.model_copy(update=update)})


async def until_status(
    client: httpx.AsyncClient, auth: dict[str, str], order_id: str, address: str, expected: str
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + _DEADLINE_SECONDS
    while True:
        found = email_statuses(await notifications(client, auth, order_id, "email"))[address]
        if found == expected or loop.time() > deadline:
            assert found == expected
            return
        await asyncio.sleep(0.05)


@pytest.mark.parametrize(
    ("content_type", "part"),
    [("message/rfc822", "whole message"), ("text/rfc822-headers", "headers")],
)
async def test_bounce_to_the_plain_bounce_address__found_by_the_returned_original(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    pipeline: NotificationPipeline,
    sink: SmtpSink,
    intake: BounceIntake,
    content_type: str,
    part: str,
) -> None:
    order_id = await send_two(client, auth, pipeline)
    original = sink.to("ola@example.com").data
    if part == "headers":
        # Only the headers, and without our own header: the Message-ID alone must do.
        header_lines = original.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
        original = b"\r\n".join(h for h in header_lines if not h.startswith(b"X-Orderdesk")) + b"\r\n"

    reply = await deliver(
        intake.port,
        BOUNCES,
        dsn(final_recipient="ola@example.com", returned=(content_type, original)),
    )

    assert reply.startswith("OK")
    assert email_statuses(await notifications(client, auth, order_id, "email")) == {
        "ola@example.com": "Failed_Bounced",
        "kari@example.com": "Succeeded",
    }


@pytest.mark.parametrize(("action", "dsn_status"), [("delayed", "4.4.1"), ("failed", "4.2.2")])
async def test_delay_or_temporary_failure__accepted__changes_nothing(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    pipeline: NotificationPipeline,
    sink: SmtpSink,
    intake: BounceIntake,
    database: Database,
    action: str,
    dsn_status: str,
) -> None:
    order_id = await send_two(client, auth, pipeline)

    reply = await deliver(
        intake.port,
        sink.to("ola@example.com").mail_from,
        dsn(final_recipient="ola@example.com", action=action, status=dsn_status),
    )

    assert reply.startswith("OK")
    assert email_statuses(await notifications(client, auth, order_id, "email")) == {
        "ola@example.com": "Succeeded",
        "kari@example.com": "Succeeded",
    }
    assert await dead_letters(database) == []


async def test_unreadable_mail_naming_a_notification__accepted__kept_as_a_dead_letter(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    pipeline: NotificationPipeline,
    sink: SmtpSink,
    intake: BounceIntake,
    database: Database,
) -> None:
    order_id = await send_two(client, auth, pipeline)
    verp = sink.to("ola@example.com").mail_from

    reply = await deliver(intake.port, verp, b"Subject: Out of office\r\n\r\nI am away until Monday.\r\n")

    assert reply.startswith("OK")
    assert email_statuses(await notifications(client, auth, order_id, "email"))["ola@example.com"] == (
        "Succeeded"
    )
    [(reason, report)] = await dead_letters(database)
    assert reason == "UNRECOGNIZED_SEND_RESULT"
    assert report["envelopeRecipients"] == [verp]
    assert report["subject"] == "Out of office"


async def test_unreadable_mail_naming_nothing__accepted_and_dropped(
    intake: BounceIntake, database: Database
) -> None:
    reply = await deliver(intake.port, BOUNCES, b"Subject: Hello\r\n\r\nJust saying hi.\r\n")

    assert reply.startswith("OK")
    assert await dead_letters(database) == []


async def test_bounce_for_an_unknown_notification__accepted__kept_as_a_dead_letter(
    intake: BounceIntake, database: Database
) -> None:
    unknown = "bounces+0b1f5c3e-8a47-4a5e-9c1d-2f3e4a5b6c7d@orderdesk.test"

    reply = await deliver(intake.port, unknown, dsn(final_recipient="who@example.com"))

    assert reply.startswith("OK")
    [(reason, _report)] = await dead_letters(database)
    assert reason == "INVALID_NOTIFICATION_IDENTIFIER"


@pytest.mark.parametrize(
    ("action", "dsn_status"),
    [("delivered", "2.0.0"), ("relayed", "2.0.0")],
    ids=["delivered", "relayed-to-a-server-without-dsn"],
)
async def test_success_report_to_the_plain_bounce_address__found_by_envelope_id__delivered(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    pipeline: NotificationPipeline,
    sink: SmtpSink,
    intake: BounceIntake,
    database: Database,
    action: str,
    dsn_status: str,
) -> None:
    order_id = await send_two(client, auth, pipeline)
    ids = {
        n["recipient"]["emailAddress"]: n["id"]
        for n in (await notifications(client, auth, order_id, "email"))["notifications"]
    }
    sent = sink.to("ola@example.com")
    assert f"ENVID={ids['ola@example.com']}".upper() in sent.mail_options
    assert sent.rcpt_options == ("NOTIFY=SUCCESS,FAILURE",)

    # No VERP address and no returned headers: only the ENVID the provider gave names the notification.
    reply = await deliver(
        intake.port,
        BOUNCES,
        dsn(
            final_recipient="ola@example.com",
            action=action,
            status=dsn_status,
            diagnostic="smtp; 250 2.0.0 OK",
            envelope_id=ids["ola@example.com"],
        ),
    )

    assert reply.startswith("OK")
    assert email_statuses(await notifications(client, auth, order_id, "email")) == {
        "ola@example.com": "Delivered",
        "kari@example.com": "Succeeded",
    }
    shown = await status(client, auth, order_id)
    assert shown["notificationsStatusSummary"]["email"]["succeeded"] == 2
    assert shown["processingStatus"]["description"] == PROCESSED  # kari's report is still due
    assert await dead_letters(database) == []
