"""The console's overview through HTTP, on SQLite and PostgreSQL: orders by status per family, the
chart of notifications sent and failed per minute, the queue, the workers seen and the last error of
each provider, each shown after the real code paths made it (API, worker loops, a real SMTP server)."""

from __future__ import annotations

import html
import os
import re
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from orderdesk.console.models import Role
from orderdesk.core.activity import Activity, in_loop, report
from orderdesk.core.db import Database
from orderdesk.core.heartbeat import Heartbeat, HeartbeatRules
from orderdesk.notifications.tasks.pipeline import NotificationPipeline
from orderdesk.settings import Settings
from tests.conftest import Clock
from tests.factories.notifications import order
from tests.integration.notifications.test_smtp_provider import smtp_pipeline
from tests.support.console import signed_in
from tests.support.notifications_api import place
from tests.support.purchases_api import load_catalog, order_body, register, register_caller
from tests.support.smtp_sink import SmtpSink

NOW = datetime(2026, 11, 24, 14, 5, 30, tzinfo=UTC)
"""Before the send times the order factories give (an hour after the real time): those orders wait."""


@pytest.fixture
async def viewer(client: httpx.AsyncClient, database: Database, clock: Clock) -> httpx.AsyncClient:
    """The client, signed in as a viewer, at NOW with the clock stopped."""
    clock.stop()
    clock.set(NOW)
    await signed_in(client, database, clock, "viewer@example.org", Role.VIEWER)
    return client


@pytest.fixture
async def pipeline(
    database: Database, settings: Settings, clock: Clock, sink: SmtpSink, tmp_path: Path
) -> AsyncIterator[NotificationPipeline]:
    """The notification workers sending through a real SMTP server that offers no delivery reports:
    what it accepts is Delivered at once."""
    sink.dsn = False
    built = smtp_pipeline(database, settings, clock, sink, tmp_path / "home")
    yield built
    await built.aclose()


def email_to(*addresses: str) -> dict[str, object]:
    return order(
        requestedSendTime=None,
        recipients=[{"emailAddress": address} for address in addresses],
        emailTemplate={
            "fromAddress": "sender@domain.com",
            "subject": "Hi",
            "body": "Hello",
            "contentType": "Plain",
        },
    )


def table_of(page: httpx.Response, label: str) -> str:
    """The HTML of the table whose aria-label is `label`."""
    match = re.search(
        rf'<table class="counts" aria-label="{re.escape(label)}">(.*?)</table>', page.text, re.S
    )
    assert match, page.text
    return match.group(1)


def count_row(status: str, count: int) -> str:
    return f'<tr><td>{status}</td><td class="number">{count}</td></tr>'


def queue_row(page: httpx.Response, queue: str) -> str:
    match = re.search(rf'<tr class="queue-{queue}">(.*?)</tr>', section(page, "queue-heading"), re.S)
    assert match, page.text
    return match.group(1)


def section(page: httpx.Response, heading_id: str) -> str:
    """The HTML of the section the heading `heading_id` names."""
    match = re.search(rf'<section aria-labelledby="{heading_id}">(.*?)</section>', page.text, re.S)
    assert match, page.text
    return match.group(1)


async def test_overview__orders_placed_through_the_api__counted_by_status_per_family(
    viewer: httpx.AsyncClient, auth: dict[str, str], database: Database
) -> None:
    for _ in range(2):
        await place(viewer, auth, "/orders", order())
    await load_catalog(database)
    caller = await register_caller(viewer, database)
    await register(viewer, caller, order_body())

    overview = await viewer.get("/console/")

    assert overview.status_code == 200
    notifications = table_of(overview, "Notification orders by status")
    assert count_row("Registered", 2) in notifications
    assert count_row("Completed", 0) in notifications
    assert count_row("preliminary", 1) in table_of(overview, "Purchase orders by status")
    data_orders = table_of(overview, "Data orders by status")
    assert count_row("PENDING", 0) in data_orders
    assert '<th scope="row">All</th><td class="number">0</td>' in data_orders


async def test_overview__queue__a_due_notification_and_how_long_it_has_waited(
    viewer: httpx.AsyncClient,
    auth: dict[str, str],
    clock: Clock,
    pipeline: NotificationPipeline,
) -> None:
    await place(viewer, auth, "/orders", email_to("waiting@example.com"))
    assert '<td class="number">1</td>' in queue_row(await viewer.get("/console/"), "notification-orders")

    await pipeline.schedule()  # the order becomes its notification, due now; none is sent
    await pipeline.settle()
    clock.advance(timedelta(minutes=7, seconds=5))

    overview = await viewer.get("/console/")
    email = queue_row(overview, "email")
    assert '<td class="number">1</td>' in email
    assert f"<td>{NOW:%Y-%m-%d %H:%M:%S} UTC</td>" in email
    assert '<td class="age">7 min</td>' in email
    orders = queue_row(overview, "notification-orders")
    assert '<td class="number">0</td>' in orders
    assert "nothing due" in orders


async def test_overview__worker_heartbeat__host_pid_and_what_each_loop_does__gone_after_a_silent_minute(
    viewer: httpx.AsyncClient, database: Database, clock: Clock
) -> None:
    activity = Activity(clock)
    beating = Heartbeat(
        database, HeartbeatRules(timedelta(seconds=2), timedelta(seconds=10)), clock, activity, []
    )
    with in_loop(activity, "notification-email"):
        report("sending 500 email notifications through email-smtp")
    await beating.beat()
    clock.advance(timedelta(seconds=20))

    workers = section(await viewer.get("/console/"), "workers-heading")

    assert f"<td>{socket.gethostname()}</td><td>{os.getpid()}</td>" in workers
    assert f"<td>{NOW:%Y-%m-%d %H:%M:%S} UTC</td><td>20 s ago</td>" in workers
    assert (
        '<span class="loop">notification-email</span>: sending 500 email notifications through'
        ' email-smtp <span class="since">(for 20 s)</span>'
    ) in workers

    clock.advance(timedelta(seconds=41))
    workers = section(await viewer.get("/console/"), "workers-heading")
    assert str(os.getpid()) not in workers
    assert "No worker process has been seen in the last minute" in workers


async def test_overview__smtp_server_refuses_a_recipient__last_smtp_error_shown_without_the_address(
    viewer: httpx.AsyncClient,
    auth: dict[str, str],
    sink: SmtpSink,
    pipeline: NotificationPipeline,
) -> None:
    assert "No provider has answered with an error." in (await viewer.get("/console/")).text
    sink.replies["gone@example.com"] = "550 5.1.1 <gone@example.com>: No such user here"
    await place(viewer, auth, "/orders", email_to("gone@example.com"))

    await pipeline.run_until_idle()

    overview = await viewer.get("/console/")
    errors = section(overview, "errors-heading")
    assert "<td>email-smtp</td><td>permanent</td>" in errors
    assert html.escape("<REDACTED>: No such user here", quote=False) in errors
    assert f"{NOW:%Y-%m-%d %H:%M:%S} UTC (0 s ago)" in errors
    assert "gone@example.com" not in overview.text


async def test_overview__chart__the_minute_s_sent_and_failed_notifications_with_the_totals(
    viewer: httpx.AsyncClient,
    auth: dict[str, str],
    sink: SmtpSink,
    pipeline: NotificationPipeline,
) -> None:
    sink.replies["gone@example.com"] = "550 5.1.1 No such user here"
    await place(viewer, auth, "/orders", email_to("one@example.com", "two@example.com", "gone@example.com"))

    await pipeline.run_until_idle()

    chart = section(await viewer.get("/console/"), "chart-heading")
    assert "<title>24 Nov 14:05 UTC: 2 sent, 1 failed</title>" in chart
    assert chart.count('<rect class="minute"') == 1
    assert '<path class="sent" d="M' in chart
    assert '<path class="failed" d="M' in chart
    assert '<strong class="sent-total">2 sent</strong>' in chart
    assert '<strong class="failed-total">1 failed</strong>' in chart
    assert "email: 2 sent, 1 failed; sms: 0 sent, 0 failed" in chart
    for hour in ("15:00", "18:00", "00:00", "12:00"):
        assert f">{hour}</text>" in chart  # the time axis, every three hours


async def test_overview__no_session__303_to_sign_in(client: httpx.AsyncClient) -> None:
    answer = await client.get("/console/")

    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/sign-in"


async def test_overview__viewer_sees_every_part__no_script(viewer: httpx.AsyncClient) -> None:
    overview = await viewer.get("/console/")

    assert overview.status_code == 200
    for heading in (
        "Orders by status",
        "Notifications sent and failed per minute, last 24 hours",
        "The queue: due, not yet handed to a provider",
        "Workers seen in the last minute",
        "Last error of each provider",
    ):
        assert heading in overview.text
    assert "<script" not in overview.text
    assert "script-src" not in overview.headers["content-security-policy"]  # default-src 'self' only
