"""E-mail orders carried out through a real SMTP server (aiosmtpd, started by each test): what arrives
there, what the relay's refusals turn into, and that nothing is lost or sent twice when the relay
is down, slow, or the worker sending to it is killed."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from orderdesk.app import create_app
from orderdesk.contacts import repository as contacts_repository
from orderdesk.contacts.models import Person
from orderdesk.core.db import Database
from orderdesk.core.wakeup import Wakeups
from orderdesk.notifications.models import EmailStatus
from orderdesk.notifications.tables import notification_email
from orderdesk.notifications.tasks.pipeline import NotificationPipeline
from orderdesk.settings import Settings
from tests.conftest import BACKENDS, POSTGRES_URL, Clock, make_settings
from tests.factories import contacts
from tests.factories.notifications import email_order, order
from tests.support.notifications_api import notifications, place, status
from tests.support.processes import orderdesk_process, own_migrated_database
from tests.support.smtp_sink import SmtpSink

BOUNCES = "bounces@orderdesk.test"
RETRY_BASE = timedelta(seconds=1)
THROTTLE = timedelta(seconds=120)
PROCESSED = "Order processing is done. Notifications have been successfully generated."
COMPLETED = "Order processing is completed. All notifications have a final status."


def smtp_pipeline(
    database: Database, settings: Settings, clock: Clock, sink: SmtpSink, home: Path, **overrides: Any
) -> NotificationPipeline:
    """The notification workers sending through the sink, with short retry delays."""
    notification_settings = settings.notifications.model_copy(
        update={
            "email_provider": "smtp",
            "smtp_host": sink.host,
            "smtp_port": sink.port,
            "smtp_bounce_address": BOUNCES,
            "smtp_connections": 2,
            "smtp_timeout_seconds": 5.0,
            "retry_base_seconds": RETRY_BASE.total_seconds(),
            "throttle_default_seconds": THROTTLE.total_seconds(),
            **overrides,
        }
    )
    return NotificationPipeline.build(
        database, notification_settings, home, clock, Wakeups(), outbound=settings.outbound
    )


@pytest.fixture
async def pipeline(
    database: Database, settings: Settings, clock: Clock, sink: SmtpSink, tmp_path: Path
) -> AsyncIterator[NotificationPipeline]:
    built = smtp_pipeline(database, settings, clock, sink, tmp_path / "home")
    yield built
    await built.aclose()


def email_statuses(summary: dict[str, Any]) -> dict[str, str]:
    return {n["recipient"]["emailAddress"]: n["sendStatus"]["status"] for n in summary["notifications"]}


async def test_email_order__reaches_the_smtp_server__with_keywords_headers_and_verp_sender(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    pipeline: NotificationPipeline,
    sink: SmtpSink,
    database: Database,
) -> None:
    await contacts.load(database)
    order_id = await place(
        client,
        auth,
        "/orders",
        order(
            requestedSendTime=None,
            recipients=[
                {"nationalIdentityNumber": contacts.PERSON_WITH_EMAIL},
                {"emailAddress": "direct@example.com"},
            ],
            emailTemplate={
                "fromAddress": "sender@domain.com",
                "subject": "Hello $recipientName$",
                "body": "Dear $recipientName$, your order has shipped.",
                "contentType": "Plain",
            },
        ),
    )

    await pipeline.run_until_idle()

    summary = await notifications(client, auth, order_id, "email")
    assert email_statuses(summary) == {"ola@example.com": "Succeeded", "direct@example.com": "Succeeded"}
    ids = {n["recipient"]["emailAddress"]: n["id"] for n in summary["notifications"]}
    ola = sink.to("ola@example.com")
    assert ola.mail_from == f"bounces+{ids['ola@example.com']}@orderdesk.test"
    assert ola.rcpt_tos == ("ola@example.com",)
    # The sink advertises DSN: reports on success and failure are asked for, naming the notification.
    assert {"RET=HDRS", f"ENVID={ids['ola@example.com']}".upper()} <= set(ola.mail_options)
    assert ola.rcpt_options == ("NOTIFY=SUCCESS,FAILURE",)
    assert ola.message["Subject"] == "Hello Ola Nordmann"
    assert ola.message["From"] == "sender@domain.com"
    assert ola.message["To"] == "ola@example.com"
    assert ola.message["Message-ID"] == f"<{ids['ola@example.com']}@orderdesk.test>"
    assert ola.text == "Dear Ola Nordmann, your order has shipped."
    direct = sink.to("direct@example.com")
    assert direct.message["Subject"] == "Hello $recipientName$"  # no register entry: kept as written
    assert direct.mail_from == f"bounces+{ids['direct@example.com']}@orderdesk.test"
    assert sink.recipients() == {"ola@example.com": 1, "direct@example.com": 1}
    # Succeeded awaits a delivery report: the order is Processed (shown as Completed by v1).
    shown = await status(client, auth, order_id)
    assert shown["processingStatus"]["status"] == "Completed"
    assert shown["processingStatus"]["description"] == PROCESSED
    assert shown["notificationsStatusSummary"]["email"]["generated"] == 2
    assert shown["notificationsStatusSummary"]["email"]["succeeded"] == 2


async def test_permanent_refusals__550_bounced__553_invalid_format__others_delivered(
    client: httpx.AsyncClient, auth: dict[str, str], pipeline: NotificationPipeline, sink: SmtpSink
) -> None:
    sink.dsn = False
    sink.replies["gone@example.com"] = "550 5.1.1 No such user here"
    sink.replies["bad@example.com"] = "553 5.1.3 Bad recipient address syntax"
    order_id = await place(
        client,
        auth,
        "/orders/email",
        email_order(
            requestedSendTime=None,
            recipients=[
                {"emailAddress": "gone@example.com"},
                {"emailAddress": "bad@example.com"},
                {"emailAddress": "one@example.com"},
                {"emailAddress": "two@example.com"},
            ],
        ),
    )

    await pipeline.run_until_idle()

    summary = await notifications(client, auth, order_id, "email")
    assert email_statuses(summary) == {
        "gone@example.com": "Failed_Bounced",
        "bad@example.com": "Failed_InvalidEmailFormat",
        "one@example.com": "Delivered",
        "two@example.com": "Delivered",
    }
    assert sink.recipients() == {"one@example.com": 1, "two@example.com": 1}
    shown = await status(client, auth, order_id)
    assert shown["notificationsStatusSummary"]["email"]["succeeded"] == 2
    assert shown["processingStatus"]["description"] == COMPLETED


@pytest.mark.parametrize("case", ["relay-without-dsn", "no-bounce-address"])
async def test_no_report_can_come__delivered_at_once_and_order_completes(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    database: Database,
    settings: Settings,
    clock: Clock,
    sink: SmtpSink,
    tmp_path: Path,
    case: str,
) -> None:
    # Without DSN the relay never reports success; without a bounce address its reports would go to
    # the sender's own mailbox. Either way the 250 is the last word: waiting would end in Failed_TTL.
    if case == "relay-without-dsn":
        sink.dsn = False
        built = smtp_pipeline(database, settings, clock, sink, tmp_path)
    else:
        built = smtp_pipeline(database, settings, clock, sink, tmp_path, smtp_bounce_address=None)
    order_id = await place(
        client,
        auth,
        "/orders/email",
        email_order(requestedSendTime=None, recipients=[{"emailAddress": "plain@example.com"}]),
    )

    try:
        await built.run_until_idle()
    finally:
        await built.aclose()

    assert email_statuses(await notifications(client, auth, order_id, "email")) == {
        "plain@example.com": "Delivered"
    }
    received = sink.to("plain@example.com")
    options = received.mail_options + received.rcpt_options
    assert not [option for option in options if option.startswith(("RET=", "ENVID=", "NOTIFY="))]
    shown = await status(client, auth, order_id)
    assert shown["processingStatus"]["description"] == COMPLETED
    assert shown["notificationsStatusSummary"]["email"]["succeeded"] == 1


async def test_message_that_cannot_be_rendered__failed_at_once_with_the_reason__the_others_sent(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    pipeline: NotificationPipeline,
    sink: SmtpSink,
    database: Database,
) -> None:
    # A register address with a line break, stored before the import refused such values: it can
    # never be written as a header, so retrying until expiry would gain nothing.
    async with database.transaction() as connection:
        await contacts_repository.upsert_persons(
            connection,
            [Person(contacts.PERSON_WITH_EMAIL, "Åse", "ase@example.com\nBcc: x@example.com", None, False)],
        )
    order_id = await place(
        client,
        auth,
        "/orders",
        order(
            requestedSendTime=None,
            recipients=[
                {"nationalIdentityNumber": contacts.PERSON_WITH_EMAIL},
                {"emailAddress": "direct@example.com"},
            ],
            emailTemplate={"subject": "Hello $recipientName$", "body": "Dear you.", "contentType": "Plain"},
        ),
    )

    await pipeline.run_until_idle()

    assert email_statuses(await notifications(client, auth, order_id, "email")) == {
        "ase@example.com\nBcc: x@example.com": "Failed_InvalidEmailFormat",
        "direct@example.com": "Succeeded",
    }
    assert sink.recipients() == {"direct@example.com": 1}
    async with database.transaction() as connection:
        error = await connection.scalar(
            select(notification_email.c.last_error).where(
                notification_email.c.status == EmailStatus.FAILED_INVALID_EMAIL_FORMAT.value
            )
        )
    assert error is not None


async def test_relay_refuses_connections__notifications_wait_in_new__then_arrive_exactly_once(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    pipeline: NotificationPipeline,
    sink: SmtpSink,
    clock: Clock,
) -> None:
    addresses = [f"user{i}@example.com" for i in range(5)]
    await sink.refuse_connections()
    order_id = await place(
        client,
        auth,
        "/orders/email",
        email_order(requestedSendTime=None, recipients=[{"emailAddress": a} for a in addresses]),
    )

    await pipeline.run_until_idle()

    summary = await notifications(client, auth, order_id, "email")
    assert email_statuses(summary) == dict.fromkeys(addresses, "New")
    # A second failed attempt backs off further; still nothing lost.
    clock.advance(RETRY_BASE * 1.5)
    await pipeline.run_until_idle()
    assert email_statuses(await notifications(client, auth, order_id, "email")) == dict.fromkeys(
        addresses, "New"
    )

    await sink.accept_connections()
    clock.advance(RETRY_BASE * 3)
    await pipeline.run_until_idle()

    assert email_statuses(await notifications(client, auth, order_id, "email")) == dict.fromkeys(
        addresses, "Succeeded"
    )
    assert sink.recipients() == dict.fromkeys(addresses, 1)


async def test_relay_never_answers_data__timeout_sends_it_back_to_new__then_once(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    database: Database,
    settings: Settings,
    clock: Clock,
    sink: SmtpSink,
    tmp_path: Path,
) -> None:
    sink.accept_limit = 0
    impatient = smtp_pipeline(database, settings, clock, sink, tmp_path, smtp_timeout_seconds=0.3)
    try:
        order_id = await place(
            client,
            auth,
            "/orders/email",
            email_order(requestedSendTime=None, recipients=[{"emailAddress": "slow@example.com"}]),
        )
        await impatient.run_until_idle()
        assert email_statuses(await notifications(client, auth, order_id, "email")) == {
            "slow@example.com": "New"
        }

        sink.release()
        clock.advance(RETRY_BASE * 2)
        await impatient.run_until_idle()
    finally:
        await impatient.aclose()

    assert email_statuses(await notifications(client, auth, order_id, "email")) == {
        "slow@example.com": "Succeeded"
    }
    assert sink.recipients() == {"slow@example.com": 1}


async def test_relay_says_too_many__the_provider_pauses__then_every_message_goes_once(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    pipeline: NotificationPipeline,
    sink: SmtpSink,
    clock: Clock,
) -> None:
    sink.replies["busy@example.com"] = "421 4.7.0 Too many messages, slow down"
    addresses = ["busy@example.com", "a@example.com", "b@example.com"]
    order_id = await place(
        client,
        auth,
        "/orders/email",
        email_order(requestedSendTime=None, recipients=[{"emailAddress": a} for a in addresses]),
    )

    await pipeline.run_until_idle()
    first = email_statuses(await notifications(client, auth, order_id, "email"))
    assert first["busy@example.com"] == "New"
    assert set(first.values()) <= {"New", "Succeeded"}

    # Past the ordinary back-off but inside the pause: nothing is tried.
    del sink.replies["busy@example.com"]
    clock.advance(RETRY_BASE * 10)
    await pipeline.run_until_idle()
    assert email_statuses(await notifications(client, auth, order_id, "email"))["busy@example.com"] == "New"

    clock.advance(THROTTLE)
    await pipeline.run_until_idle()
    assert email_statuses(await notifications(client, auth, order_id, "email")) == dict.fromkeys(
        addresses, "Succeeded"
    )
    assert sink.recipients() == dict.fromkeys(addresses, 1)


async def test_succeeded_without_report__past_expiry_and_grace__failed_ttl_and_order_completes(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    pipeline: NotificationPipeline,
    sink: SmtpSink,
    clock: Clock,
    settings: Settings,
) -> None:
    order_id = await place(
        client,
        auth,
        "/orders/email",
        email_order(requestedSendTime=None, recipients=[{"emailAddress": "quiet@example.com"}]),
    )
    await pipeline.run_until_idle()
    assert email_statuses(await notifications(client, auth, order_id, "email")) == {
        "quiet@example.com": "Succeeded"
    }

    ttl = timedelta(hours=settings.notifications.notification_ttl_hours)
    clock.advance(ttl + timedelta(seconds=settings.notifications.ttl_grace_seconds + 60))
    await pipeline.run_until_idle()

    summary = await notifications(client, auth, order_id, "email")
    assert email_statuses(summary) == {"quiet@example.com": "Failed_TTL"}
    assert summary["succeeded"] == 0
    shown = await status(client, auth, order_id)
    assert shown["processingStatus"]["description"] == COMPLETED
    assert shown["notificationsStatusSummary"]["email"]["succeeded"] == 0


# Real `orderdesk worker` processes: killed mid-batch, or two at once, on the test's own database.

_DEADLINE_SECONDS = 90.0
LEASE_SECONDS = 3


@pytest.fixture(params=BACKENDS)
async def own_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return await own_migrated_database(request.param, POSTGRES_URL, tmp_path, "smtp_workers")


@pytest.fixture
async def api(home: Path, own_database: str) -> AsyncIterator[httpx.AsyncClient]:
    """The API in this process on the test's database (the session home holds the signing key)."""
    settings = make_settings(home, own_database)
    database = Database.from_url(own_database, pool_size=2)
    app = create_app(settings, database=database)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as http:
        yield http
    await database.dispose()


@contextmanager
def worker(home: Path, database_url: str, sink: SmtpSink, **extra: str) -> Iterator[subprocess.Popen[bytes]]:
    """`orderdesk worker` sending through the sink; killed when the block ends, if still running."""
    home.mkdir(parents=True, exist_ok=True)
    env = {
        "ORDERDESK_DATABASE_URL": database_url,
        "ORDERDESK_EMAIL_PROVIDER": "smtp",
        "ORDERDESK_SMTP_HOST": sink.host,
        "ORDERDESK_SMTP_PORT": str(sink.port),
        "ORDERDESK_SMTP_BOUNCE_ADDRESS": BOUNCES,
        "ORDERDESK_SMTP_TIMEOUT_SECONDS": "120",
        "ORDERDESK_WORKER_LEASE_SECONDS": str(LEASE_SECONDS),
        "ORDERDESK_WORKER_POLL_SECONDS": "0.2",
        "ORDERDESK_RETRY_BASE_SECONDS": "1",
        "ORDERDESK_LOG_FORMAT": "json",
        **extra,
    }
    with orderdesk_process(home, ["worker"], env, home / "worker.log", graceful=False) as process:
        yield process


async def wait_for_succeeded(
    api: httpx.AsyncClient, auth: dict[str, str], order_id: str, count: int, *logs: Path
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + _DEADLINE_SECONDS
    succeeded = 0
    while loop.time() < deadline:
        summary = (await status(api, auth, order_id)).get("notificationsStatusSummary") or {}
        succeeded = (summary.get("email") or {}).get("succeeded", 0)
        if succeeded >= count:
            return
        await asyncio.sleep(0.1)
    worker_logs = "\n".join(log.read_text()[-4000:] for log in logs if log.exists())
    pytest.fail(f"{succeeded} of {count} succeeded before the deadline\n{worker_logs}")


def many(count: int) -> list[str]:
    return [f"person{i:03}@example.com" for i in range(count)]


@pytest.mark.slow
async def test_worker_killed_mid_batch__a_second_worker_sends_the_rest__each_message_once(
    api: httpx.AsyncClient, auth: dict[str, str], own_database: str, sink: SmtpSink, tmp_path: Path
) -> None:
    addresses, accepted = many(200), 60
    sink.accept_limit = accepted
    with worker(tmp_path / "first", own_database, sink) as first:
        order_id = await place(
            api,
            auth,
            "/orders/email",
            email_order(requestedSendTime=None, recipients=[{"emailAddress": a} for a in addresses]),
        )
        await wait_for_succeeded(api, auth, order_id, accepted, tmp_path / "first" / "worker.log")
        await sink.wait_until(received=accepted, stalled=1)
        first.kill()
        first.wait()
    # The stalled messages were never answered: they count as not delivered.
    sink.release()
    assert len(sink.received) == accepted

    with worker(tmp_path / "second", own_database, sink):
        await wait_for_succeeded(api, auth, order_id, len(addresses), tmp_path / "second" / "worker.log")

    summary = await notifications(api, auth, order_id, "email")
    assert email_statuses(summary) == dict.fromkeys(addresses, "Succeeded")
    assert sink.recipients() == dict.fromkeys(addresses, 1)


@pytest.mark.slow
async def test_two_workers_at_once__one_order__each_message_once(
    api: httpx.AsyncClient, auth: dict[str, str], own_database: str, sink: SmtpSink, tmp_path: Path
) -> None:
    addresses = many(200)
    small_batches = {"ORDERDESK_WORKER_DISPATCH_BATCH": "20"}
    with (
        worker(tmp_path / "one", own_database, sink, **small_batches),
        worker(tmp_path / "two", own_database, sink, **small_batches),
    ):
        order_id = await place(
            api,
            auth,
            "/orders/email",
            email_order(requestedSendTime=None, recipients=[{"emailAddress": a} for a in addresses]),
        )
        await wait_for_succeeded(
            api,
            auth,
            order_id,
            len(addresses),
            tmp_path / "one" / "worker.log",
            tmp_path / "two" / "worker.log",
        )

    assert email_statuses(await notifications(api, auth, order_id, "email")) == dict.fromkeys(
        addresses, "Succeeded"
    )
    assert sink.recipients() == dict.fromkeys(addresses, 1)
