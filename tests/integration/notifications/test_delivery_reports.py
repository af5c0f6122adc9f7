"""Delivery reports over HTTP: Kannel's dlr-url callback (signed) and the e-mail webhook (scoped token).

SMS are sent through the Kannel provider to a real HTTP peer that answers like smsbox's sendsms;
the test then calls the dlr-url orderdesk handed that peer, as Kannel would. E-mail goes through SMTP
to a real aiosmtpd server offering DSN (Succeeded), so that the webhook has something to report on.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote
from uuid import UUID, uuid4

import httpx
import pytest
from sqlalchemy import select

from orderdesk.app import create_app
from orderdesk.auth.tokens import (
    DELIVERY_REPORTS_WRITE_SCOPE,
    NOTIFICATIONS_CREATE_SCOPE,
    mint_report_sender_token,
)
from orderdesk.core.db import Database
from orderdesk.core.keyfile import load_or_create_key
from orderdesk.core.wakeup import Wakeups
from orderdesk.notifications.models import Channel, DeadReason, DeliveryReport, SmsStatus
from orderdesk.notifications.providers.kannel import DLR_KEY_FILE, ReportSigner
from orderdesk.notifications.service.reports import apply_reports
from orderdesk.notifications.tables import dead_delivery_report, notification_sms
from orderdesk.notifications.tasks.pipeline import NotificationPipeline
from orderdesk.settings import Settings
from tests.conftest import Clock, Tokens
from tests.factories.notifications import email_order, sms_order
from tests.support.kannel import SendsmsPeer, kannel_notification_settings, sendsms_peer
from tests.support.notifications_api import API, DAYTIME, place
from tests.support.smtp_sink import SmtpSink

KANNEL_REPORTS = f"{API}/reports/kannel"
EMAIL_REPORTS = f"{API}/reports/email"
BASE_URL = "http://testserver"
SMPP_RECEIPT = "id:7 sub:001 dlvrd:000 submit date:2611241000 done date:2611241001 stat:{} err:000 text:"


@pytest.fixture
def peer() -> Iterator[SendsmsPeer]:
    with sendsms_peer() as running:
        yield running


@pytest.fixture
async def pipeline(
    database: Database, settings: Settings, clock: Clock, peer: SendsmsPeer, sink: SmtpSink
) -> AsyncIterator[NotificationPipeline]:
    """Workers with the Kannel provider (to the peer) on the app's home, so both share the DLR key,
    and the SMTP provider to the sink, which offers DSN: e-mail stays Succeeded, awaiting a report."""
    notification_settings = kannel_notification_settings(
        settings.notifications, sendsms_url=peer.url, public_base_url=BASE_URL
    ).model_copy(
        update={
            "email_provider": "smtp",
            "smtp_host": sink.host,
            "smtp_port": sink.port,
            "smtp_bounce_address": "bounces@orderdesk.test",
        }
    )
    built = NotificationPipeline.build(
        database, notification_settings, settings.home, clock, Wakeups(), outbound=settings.outbound
    )
    yield built
    await built.aclose()


@pytest.fixture
def reporter(tokens: Tokens) -> dict[str, str]:
    return tokens.bearer("mailprovider", scopes=(DELIVERY_REPORTS_WRITE_SCOPE,))


async def notification(
    client: httpx.AsyncClient, auth: dict[str, str], order_id: str, channel: str
) -> dict[str, Any]:
    response = await client.get(f"{API}/orders/{order_id}/notifications/{channel}", headers=auth)
    assert response.status_code == 200
    [only] = response.json()["notifications"]
    found: dict[str, Any] = only
    return found


async def accepted_sms(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    pipeline: NotificationPipeline,
    clock: Clock,
    peer: SendsmsPeer,
) -> tuple[str, str]:
    """An SMS order sent to the gateway: its id and the dlr-url the gateway was given."""
    clock.set(DAYTIME)
    order_id = await place(client, auth, "/orders/sms", sms_order(requestedSendTime=None))
    await pipeline.run_until_idle()
    sent = await notification(client, auth, order_id, "sms")
    assert sent["sendStatus"]["status"] == "Accepted"
    return order_id, peer.dlr_url("+4799999999")


async def kannel_calls(
    client: httpx.AsyncClient, dlr_url: str, dlr_type: int, answer: str = ""
) -> httpx.Response:
    """What Kannel does with a dlr-url: fill in %d and %A, then GET it."""
    url = dlr_url.replace("%d", str(dlr_type)).replace("%A", quote(answer, safe=""))
    assert url.startswith(BASE_URL)
    return await client.get(url.removeprefix(BASE_URL))


async def dead_letters(database: Database) -> list[tuple[str, str]]:
    async with database.transaction() as connection:
        rows = await connection.execute(
            select(dead_delivery_report.c.channel, dead_delivery_report.c.reason).order_by(
                dead_delivery_report.c.id
            )
        )
        return [(row.channel, row.reason) for row in rows]


@pytest.mark.parametrize(
    ("dlr_type", "answer", "expected"),
    [
        (1, "", "Delivered"),
        (2, "", "Failed_Undelivered"),
        (2, SMPP_RECEIPT.format("EXPIRED"), "Failed_Expired"),
        (2, SMPP_RECEIPT.format("DELETED"), "Failed_Deleted"),
        (2, SMPP_RECEIPT.format("REJECTD"), "Failed_Rejected"),
        (2, SMPP_RECEIPT.format("UNDELIV"), "Failed_Undelivered"),
        (2, SMPP_RECEIPT.format("UNKNOWN"), "Failed"),
        (16, "", "Failed_Rejected"),
        (8, "ACK/", "Accepted"),
        (4, "", "Accepted"),
    ],
)
async def test_kannel_report__each_type_and_smsc_answer__sets_the_sms_status(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    pipeline: NotificationPipeline,
    clock: Clock,
    peer: SendsmsPeer,
    dlr_type: int,
    answer: str,
    expected: str,
) -> None:
    order_id, dlr_url = await accepted_sms(client, auth, pipeline, clock, peer)

    response = await kannel_calls(client, dlr_url, dlr_type, answer)

    assert response.status_code == 200
    assert response.json() == {
        "applied": 1,
        "deadLettered": 0,
        "deadLetterReasons": {},
        "deadLettersDropped": 0,
    }
    after = await notification(client, auth, order_id, "sms")
    assert after["sendStatus"]["status"] == expected
    assert after["succeeded"] is (expected in ("Delivered", "Accepted"))


async def test_kannel_report__smsc_accepted_then_delivered_then_a_late_failure__stays_delivered(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    pipeline: NotificationPipeline,
    clock: Clock,
    peer: SendsmsPeer,
    database: Database,
) -> None:
    order_id, dlr_url = await accepted_sms(client, auth, pipeline, clock, peer)

    assert (await kannel_calls(client, dlr_url, 8, "ACK/")).status_code == 200
    assert (await notification(client, auth, order_id, "sms"))["sendStatus"]["status"] == "Accepted"
    assert (await kannel_calls(client, dlr_url, 1)).json()["applied"] == 1
    late = await kannel_calls(client, dlr_url, 2, SMPP_RECEIPT.format("UNDELIV"))
    repeated = await kannel_calls(client, dlr_url, 1)

    assert late.status_code == repeated.status_code == 200
    assert late.json() == {
        "applied": 0,
        "deadLettered": 1,
        "deadLetterReasons": {"ALREADY_FINAL": 1},
        "deadLettersDropped": 0,
    }
    assert repeated.json()["deadLetterReasons"] == {"ALREADY_FINAL": 1}
    assert (await notification(client, auth, order_id, "sms"))["sendStatus"]["status"] == "Delivered"
    status = (await client.get(f"{API}/orders/{order_id}/status", headers=auth)).json()
    assert status["processingStatus"]["status"] == "Completed"
    sms = status["notificationsStatusSummary"]["sms"]
    assert (sms["generated"], sms["succeeded"]) == (1, 1)
    assert await dead_letters(database) == [("sms", "ALREADY_FINAL"), ("sms", "ALREADY_FINAL")]


async def test_kannel_reports__accepted_and_delivered_at_the_same_time__ends_delivered_counted_once(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    pipeline: NotificationPipeline,
    clock: Clock,
    peer: SendsmsPeer,
) -> None:
    # Kannel sends its reports at once, in no set order: the final one must win whatever the order.
    order_id, dlr_url = await accepted_sms(client, auth, pipeline, clock, peer)

    answers = await asyncio.gather(
        *(kannel_calls(client, dlr_url, dlr_type, "ACK/") for dlr_type in (8, 1, 8, 4, 8))
    )

    assert [answer.status_code for answer in answers] == [200] * 5
    assert (await notification(client, auth, order_id, "sms"))["sendStatus"]["status"] == "Delivered"
    sms = (await client.get(f"{API}/orders/{order_id}/status", headers=auth)).json()[
        "notificationsStatusSummary"
    ]["sms"]
    assert (sms["generated"], sms["succeeded"]) == (1, 1)


def with_param(url: str, name: str, value: str) -> str:
    return re.sub(rf"([?&]{name}=)[^&]*", lambda match: match.group(1) + value, url)


def altered(signature: str) -> str:
    """The signature with its first character changed, whatever that character was."""
    return ("y" if signature.startswith("x") else "x") + signature[1:]


def param(url: str, name: str) -> str:
    match = re.search(rf"[?&]{name}=([^&]*)", url)
    assert match is not None
    return match.group(1)


@pytest.mark.parametrize("forgery", ["altered", "made-up", "of-another-notification"])
async def test_kannel_report__signature_does_not_match__403_and_nothing_changes(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    pipeline: NotificationPipeline,
    clock: Clock,
    peer: SendsmsPeer,
    database: Database,
    forgery: str,
) -> None:
    order_id, dlr_url = await accepted_sms(client, auth, pipeline, clock, peer)

    forged = {
        "altered": with_param(dlr_url, "sig", altered(param(dlr_url, "sig"))),
        "made-up": with_param(dlr_url, "sig", "A" * 43),
        "of-another-notification": with_param(dlr_url, "id", str(uuid4())),
    }[forgery]

    response = await kannel_calls(client, forged, 2)

    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "The signature does not match the notification id."
    assert (await notification(client, auth, order_id, "sms"))["sendStatus"]["status"] == "Accepted"
    assert await dead_letters(database) == []


async def test_kannel_report__unknown_notification__dead_lettered_and_answered_200(
    client: httpx.AsyncClient, settings: Settings, database: Database
) -> None:
    # Signed with the service's own key: a report Kannel could send for a notification since deleted.
    unknown = uuid4()
    signature = ReportSigner.from_settings(settings.notifications, settings.home).sign(unknown)

    response = await client.get(KANNEL_REPORTS, params={"id": str(unknown), "sig": signature, "type": "1"})

    assert response.status_code == 200
    assert response.json() == {
        "applied": 0,
        "deadLettered": 1,
        "deadLetterReasons": {"INVALID_NOTIFICATION_IDENTIFIER": 1},
        "deadLettersDropped": 0,
    }
    assert await dead_letters(database) == [("sms", "INVALID_NOTIFICATION_IDENTIFIER")]


async def test_kannel_report__unknown_type__dead_lettered_unrecognised_and_status_kept(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    pipeline: NotificationPipeline,
    clock: Clock,
    peer: SendsmsPeer,
    database: Database,
) -> None:
    order_id, dlr_url = await accepted_sms(client, auth, pipeline, clock, peer)

    response = await kannel_calls(client, dlr_url, 32)

    assert response.json()["deadLetterReasons"] == {"UNRECOGNIZED_SEND_RESULT": 1}
    assert (await notification(client, auth, order_id, "sms"))["sendStatus"]["status"] == "Accepted"
    assert await dead_letters(database) == [("sms", "UNRECOGNIZED_SEND_RESULT")]


async def test_kannel_report__after_the_notification_expired__dead_lettered_notification_expired(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    pipeline: NotificationPipeline,
    clock: Clock,
    peer: SendsmsPeer,
    database: Database,
) -> None:
    order_id, dlr_url = await accepted_sms(client, auth, pipeline, clock, peer)
    clock.advance(timedelta(hours=49))

    response = await kannel_calls(client, dlr_url, 1)

    assert response.status_code == 200
    assert response.json()["deadLetterReasons"] == {"NOTIFICATION_EXPIRED": 1}
    assert (await notification(client, auth, order_id, "sms"))["sendStatus"]["status"] == "Accepted"
    assert await dead_letters(database) == [("sms", "NOTIFICATION_EXPIRED")]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"sig": "abc", "type": "1"}, "id"),
        ({"id": "not-a-uuid", "sig": "abc", "type": "1"}, "id"),
        ({"id": "00000000-0000-0000-0000-000000000001", "type": "1"}, "sig"),
        ({"id": "00000000-0000-0000-0000-000000000001", "sig": "abc", "type": "%d"}, "type"),
        ({"id": "00000000-0000-0000-0000-000000000001", "sig": "abc"}, "type"),
    ],
    ids=["no-id", "bad-id", "no-sig", "type-not-filled-in", "no-type"],
)
@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_kannel_report__malformed__400_naming_the_field(
    client: httpx.AsyncClient, database: Database, params: dict[str, str], field: str, method: str
) -> None:
    response = await client.request(method, KANNEL_REPORTS, params=params)

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert field in response.json()["errors"]
    assert await dead_letters(database) == []


async def accepted_email(
    client: httpx.AsyncClient, auth: dict[str, str], pipeline: NotificationPipeline
) -> tuple[str, str]:
    """An e-mail order whose notification the provider accepted: order id and notification id."""
    order_id = await place(client, auth, "/orders/email", email_order(requestedSendTime=None))
    await pipeline.run_until_idle()
    sent = await notification(client, auth, order_id, "email")
    assert sent["sendStatus"]["status"] == "Succeeded"
    return order_id, str(sent["id"])


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("Delivered", "Delivered"),
        ("Bounced", "Failed_Bounced"),
        ("Failed", "Failed"),
        ("Expanded", "Failed"),
        ("FilteredSpam", "Failed_FilteredSpam"),
        ("Quarantined", "Failed_Quarantined"),
        ("Suppressed", "Failed_SupressedRecipient"),
        ("delivered", "Delivered"),
    ],
)
async def test_email_report__each_state__sets_the_email_status_and_completes_the_order(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    reporter: dict[str, str],
    pipeline: NotificationPipeline,
    state: str,
    expected: str,
) -> None:
    order_id, notification_id = await accepted_email(client, auth, pipeline)

    response = await client.post(
        EMAIL_REPORTS, json={"notificationId": notification_id, "status": state}, headers=reporter
    )

    assert response.status_code == 200
    assert response.json() == {
        "applied": 1,
        "deadLettered": 0,
        "deadLetterReasons": {},
        "deadLettersDropped": 0,
    }
    assert (await notification(client, auth, order_id, "email"))["sendStatus"]["status"] == expected
    status = (await client.get(f"{API}/orders/{order_id}/status", headers=auth)).json()
    assert status["processingStatus"]["status"] == "Completed"
    assert status["notificationsStatusSummary"]["email"]["succeeded"] == int(expected == "Delivered")


async def test_email_reports__a_list_by_operation_id__applied_and_the_rest_dead_lettered(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    reporter: dict[str, str],
    pipeline: NotificationPipeline,
    database: Database,
) -> None:
    first_order, first = await accepted_email(client, auth, pipeline)
    second_order, second = await accepted_email(client, auth, pipeline)
    reports = [
        {"operationId": str(first), "status": "Delivered", "deliveryStatusDetails": {"message": "ok"}},
        {"notificationId": second, "status": "Bounced"},
        {"notificationId": second, "status": "Delivered"},  # a second opinion on a final status
        {"operationId": "op-nobody", "status": "Delivered"},
        {"notificationId": str(uuid4()), "status": "Delivered"},
        {"notificationId": first, "status": "OutForDelivery"},
    ]

    response = await client.post(EMAIL_REPORTS, json=reports, headers=reporter)

    assert response.status_code == 200
    assert response.json() == {
        "applied": 2,
        "deadLettered": 4,
        "deadLetterReasons": {
            "ALREADY_FINAL": 1,
            "INVALID_NOTIFICATION_IDENTIFIER": 2,
            "UNRECOGNIZED_SEND_RESULT": 1,
        },
        "deadLettersDropped": 0,
    }
    assert (await notification(client, auth, first_order, "email"))["sendStatus"]["status"] == "Delivered"
    assert (await notification(client, auth, second_order, "email"))["sendStatus"][
        "status"
    ] == "Failed_Bounced"
    assert sorted(await dead_letters(database)) == sorted(
        [
            ("email", "ALREADY_FINAL"),
            ("email", "INVALID_NOTIFICATION_IDENTIFIER"),
            ("email", "INVALID_NOTIFICATION_IDENTIFIER"),
            ("email", "UNRECOGNIZED_SEND_RESULT"),
        ]
    )


async def test_email_report__after_the_notification_expired__dead_lettered_notification_expired(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    reporter: dict[str, str],
    pipeline: NotificationPipeline,
    clock: Clock,
) -> None:
    order_id, notification_id = await accepted_email(client, auth, pipeline)
    clock.advance(timedelta(hours=49))

    response = await client.post(
        EMAIL_REPORTS, json={"notificationId": notification_id, "status": "Delivered"}, headers=reporter
    )

    assert response.json()["deadLetterReasons"] == {"NOTIFICATION_EXPIRED": 1}
    assert (await notification(client, auth, order_id, "email"))["sendStatus"]["status"] == "Succeeded"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (None, 401),
        ({"Authorization": "Bearer not-a-jwt"}, 401),
        ("service-owner-token", 401),
        ("report-token-without-the-scope", 403),
    ],
    ids=["no-token", "bad-token", "service-owners-token", "without-the-scope"],
)
async def test_email_report__without_a_token_with_the_reports_scope__refused(
    client: httpx.AsyncClient,
    tokens: Tokens,
    database: Database,
    headers: dict[str, str] | str | None,
    expected: int,
) -> None:
    if headers == "service-owner-token":
        headers = tokens.bearer("ttd", scopes=(NOTIFICATIONS_CREATE_SCOPE,))
    elif headers == "report-token-without-the-scope":
        token = mint_report_sender_token(
            tokens.key(), issuer="orderdesk", org="mailprovider", scopes=("other",)
        )
        headers = {"Authorization": f"Bearer {token}"}
    assert not isinstance(headers, str)

    response = await client.post(
        EMAIL_REPORTS, json={"notificationId": str(uuid4()), "status": "Delivered"}, headers=headers
    )

    assert response.status_code == expected
    assert response.headers["content-type"] == "application/problem+json"
    assert await dead_letters(database) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"{not json", "$"),
        (b"[]", "$"),
        (b'"Delivered"', "$"),
        (b'{"notificationId": "00000000-0000-0000-0000-000000000001"}', "status"),
        (b'{"notificationId": "00000000-0000-0000-0000-000000000001", "status": 5}', "status"),
        (b'{"status": "Delivered"}', "notificationId"),
        (b'[{"notificationId": "nope", "status": "Delivered"}]', "[0].notificationId"),
        (
            b'[{"operationId": "op-1", "status": "Delivered"}, {"operationId": "", "status": "x"}]',
            "[1].operationId",
        ),
        (b"[1]", "[0]"),
        (b"\xff\xfe", "$"),
    ],
)
async def test_email_report__malformed_body__400_naming_the_field_and_nothing_stored(
    client: httpx.AsyncClient, reporter: dict[str, str], database: Database, body: bytes, field: str
) -> None:
    response = await client.post(
        EMAIL_REPORTS, content=body, headers={**reporter, "Content-Type": "application/json"}
    )

    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in response.json()["errors"]
    assert await dead_letters(database) == []


def test_report_signer__same_key__same_signature_for_the_same_id_only() -> None:
    signer = ReportSigner(b"k" * 32)
    some, other = UUID(int=1), UUID(int=2)

    assert signer.verify(some, signer.sign(some))
    assert not signer.verify(other, signer.sign(some))
    assert not ReportSigner(b"x" * 32).verify(some, signer.sign(some))


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"operationId": "op\\u0000", "status": "Delivered"}', "operationId"),
        (b'[{"operationId": "op-1", "status": "Delivered\\u0000"}]', "[0].status"),
        (b'{"operationId": "op\\ud800", "status": "Delivered"}', "operationId"),
    ],
    ids=["nul-in-operation-id", "nul-in-status", "lone-surrogate"],
)
async def test_email_report__text_that_cannot_be_stored__400_naming_the_field(
    client: httpx.AsyncClient, reporter: dict[str, str], database: Database, body: bytes, field: str
) -> None:
    response = await client.post(
        EMAIL_REPORTS, content=body, headers={**reporter, "Content-Type": "application/json"}
    )

    assert response.status_code == 400, response.text
    assert field in response.json()["errors"]
    assert await dead_letters(database) == []


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999", "-1e999"])
async def test_email_report__number_json_does_not_allow__400_naming_it_and_nothing_stored(
    client: httpx.AsyncClient, reporter: dict[str, str], database: Database, number: str
) -> None:
    # Python's json reads these, PostgreSQL's json type does not: the raw report could not be stored.
    body = f'{{"operationId": "op-1", "status": "Delivered", "details": {{"score": {number}}}}}'

    response = await client.post(
        EMAIL_REPORTS, content=body.encode(), headers={**reporter, "Content-Type": "application/json"}
    )

    assert response.status_code == 400, response.text
    [message] = response.json()["errors"]["$"]
    assert number.lstrip("-") in message
    assert await dead_letters(database) == []


async def test_kannel_report__answer_with_nul__stored_with_the_dead_letter(
    client: httpx.AsyncClient, settings: Settings, database: Database
) -> None:
    unknown = uuid4()
    signature = ReportSigner.from_settings(settings.notifications, settings.home).sign(unknown)

    response = await client.get(
        KANNEL_REPORTS, params={"id": str(unknown), "sig": signature, "type": "1", "answer": "ACK\x00/"}
    )

    assert response.status_code == 200, response.text
    assert await dead_letters(database) == [("sms", "INVALID_NOTIFICATION_IDENTIFIER")]


async def test_email_reports__delivered_then_bounced_for_one_notification__first_applies_second_final(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    reporter: dict[str, str],
    pipeline: NotificationPipeline,
    database: Database,
) -> None:
    order_id, notification_id = await accepted_email(client, auth, pipeline)
    reports = [
        {"notificationId": notification_id, "status": "Delivered"},
        {"notificationId": notification_id, "status": "Bounced"},
    ]

    response = await client.post(EMAIL_REPORTS, json=reports, headers=reporter)

    assert response.status_code == 200
    assert response.json() == {
        "applied": 1,
        "deadLettered": 1,
        "deadLetterReasons": {"ALREADY_FINAL": 1},
        "deadLettersDropped": 0,
    }
    assert (await notification(client, auth, order_id, "email"))["sendStatus"]["status"] == "Delivered"
    status = (await client.get(f"{API}/orders/{order_id}/status", headers=auth)).json()
    assert status["processingStatus"]["status"] == "Completed"
    email = status["notificationsStatusSummary"]["email"]
    assert (email["generated"], email["succeeded"]) == (1, 1)
    assert await dead_letters(database) == [("email", "ALREADY_FINAL")]


async def test_app_start__fresh_home__dlr_key_created_and_reports_signed_with_it_accepted(
    settings: Settings, database: Database, tmp_path: Path
) -> None:
    fresh = settings.model_copy(update={"home": tmp_path / "fresh-home"})
    key_file = fresh.home / DLR_KEY_FILE

    app = create_app(fresh, database=database)

    assert key_file.exists()  # before any request
    unknown = uuid4()
    signature = ReportSigner(key_file.read_text().strip().encode()).sign(unknown)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as http:
        response = await http.get(KANNEL_REPORTS, params={"id": str(unknown), "sig": signature, "type": "1"})
    assert response.status_code == 200, response.text
    assert response.json()["deadLetterReasons"] == {"INVALID_NOTIFICATION_IDENTIFIER": 1}


def test_dlr_key__created_by_many_threads_at_once__one_key_that_all_of_them_use(tmp_path: Path) -> None:
    threads = 16
    for attempt in range(20):
        path = tmp_path / str(attempt) / DLR_KEY_FILE
        start = threading.Barrier(threads)

        def create(path: Path = path, start: threading.Barrier = start) -> bytes:
            start.wait()
            return load_or_create_key(path)

        with ThreadPoolExecutor(threads) as pool:
            keys = set(pool.map(lambda _: create(), range(threads)))

        assert len(keys) == 1
        [key] = keys
        assert len(key) == 64
        assert path.read_bytes().strip() == key
        assert [p.name for p in path.parent.iterdir()] == [DLR_KEY_FILE]  # no temporary files left


async def test_apply_reports__accepted_then_delivered_for_one_sms_in_one_call__both_apply_in_order(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    pipeline: NotificationPipeline,
    clock: Clock,
    peer: SendsmsPeer,
    database: Database,
) -> None:
    """No endpoint sends two non-final reports for one notification at once, but `apply_reports`
    must still write them in order (PostgreSQL's one-statement write takes each id once)."""
    order_id, _dlr_url = await accepted_sms(client, auth, pipeline, clock, peer)
    notification_id = UUID((await notification(client, auth, order_id, "sms"))["id"])
    reports = [
        DeliveryReport(SmsStatus.ACCEPTED, {"type": 8}, notification_id=notification_id),
        DeliveryReport(SmsStatus.ACCEPTED, {"type": 4}, notification_id=notification_id),
        DeliveryReport(SmsStatus.DELIVERED, {"type": 1}, notification_id=notification_id),
        DeliveryReport(SmsStatus.ACCEPTED, {"type": 8}, notification_id=notification_id),
    ]

    async with database.transaction() as connection:
        result = await apply_reports(connection, Channel.SMS, reports, now=clock(), max_dead_rows=100)

    assert (result.applied, result.dead) == (3, {DeadReason.ALREADY_FINAL: 1})
    assert (await notification(client, auth, order_id, "sms"))["sendStatus"]["status"] == "Delivered"
    sms = (await client.get(f"{API}/orders/{order_id}/status", headers=auth)).json()[
        "notificationsStatusSummary"
    ]["sms"]
    assert (sms["generated"], sms["succeeded"]) == (1, 1)
    async with database.transaction() as connection:
        stored = await connection.scalar(
            select(notification_sms.c.delivery_report).where(notification_sms.c.id == notification_id)
        )
    assert stored == {"type": 1}


async def test_email_report__nul_in_a_key_we_only_keep__stored_with_the_report(
    client: httpx.AsyncClient, reporter: dict[str, str], database: Database
) -> None:
    # The raw report is stored as json, where NUL is the escape \u0000: only our text columns refuse it.
    body = b'{"notificationId": "%s", "status": "Delivered", "note": "a\\u0000b"}' % str(uuid4()).encode()

    response = await client.post(
        EMAIL_REPORTS, content=body, headers={**reporter, "Content-Type": "application/json"}
    )

    assert response.status_code == 200, response.text
    assert await dead_letters(database) == [("email", "INVALID_NOTIFICATION_IDENTIFIER")]
