"""Instant orders over HTTP: the message reaches the provider (outbox, a real SMTP server) before the
answer; the same idempotency id sends nothing more; a provider that cannot take the message gets a
503 NOT-00004 and nothing stored; eight concurrent requests with one id send one message."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from orderdesk.core.db import Database
from orderdesk.settings import Settings
from tests.conftest import Clock
from tests.integration.notifications.instant_support import (
    API,
    INSTANT,
    INSTANT_EMAIL,
    INSTANT_SMS,
    deprecated_body,
    email_body,
    instant_client,
    sms_body,
    stored_counts,
    stored_notification,
    stored_order,
    unique_id,
    unique_number,
)
from tests.support.notifications_api import outbox_sms
from tests.support.smtp_sink import SmtpSink

BOUNCES = "bounces@orderdesk.test"


def smtp_overrides(sink: SmtpSink, **more: Any) -> dict[str, Any]:
    return {
        "email_provider": "smtp",
        "smtp_host": sink.host,
        "smtp_port": sink.port,
        "smtp_bounce_address": BOUNCES,
        "smtp_timeout_seconds": 5.0,
        **more,
    }


@pytest.fixture
async def outbox_client(
    settings: Settings, database: Database, clock: Clock
) -> Any:  # AsyncIterator[httpx.AsyncClient]
    async with instant_client(settings, database, clock) as http:
        yield http


def sms_to(home: Path, number: str) -> list[dict[str, Any]]:
    return [line for line in outbox_sms(home) if line["to"] == number]


async def test_instant_sms__outbox__is_sent_before_the_answer_and_stored_as_an_instant_order(
    outbox_client: httpx.AsyncClient,
    auth: dict[str, str],
    settings: Settings,
    database: Database,
    clock: Clock,
) -> None:
    number = unique_number()
    body = sms_body(number=number, ttl=600, text="Kode: 482913")

    response = await outbox_client.post(INSTANT_SMS, json=body, headers=auth)

    assert response.status_code == 201, response.text
    answer = response.json()
    shipment_id = answer["notification"]["shipmentId"]
    assert answer["notification"]["sendersReference"] == "otp-1"
    assert answer["notificationOrderId"] != shipment_id
    assert response.headers["Location"] == f"http://testserver{API}/future/shipment/{shipment_id}"
    [sent] = sms_to(settings.home, number)  # written before the answer came
    assert (sent["from"], sent["body"]) == ("Orderdesk", "Kode: 482913")

    order = await stored_order(database, shipment_id)
    assert (order["order_type"], order["sending_time_policy"], order["notification_channel"]) == (
        "Instant",
        "Anytime",
        "Sms",
    )
    assert str(order["chain_id"]) == answer["notificationOrderId"]
    # The outbox delivers as it writes: the order has nothing left in flight.
    assert order["processing_status"] == "Completed"
    notification = await stored_notification(database, "sms", shipment_id)
    assert notification["status"] == "Delivered"
    assert notification["provider_reference"] == str(notification["id"]) == sent["id"]
    assert notification["segments"] == 1
    assert notification["expires_at"] - order["created_at"] == timedelta(seconds=600)
    status = (await outbox_client.get(f"{API}/orders/{shipment_id}/status", headers=auth)).json()
    sms = status["notificationsStatusSummary"]["sms"]
    assert (sms["generated"], sms["succeeded"]) == (1, 1)


async def test_instant_sms__long_text__is_stored_with_its_segment_count(
    outbox_client: httpx.AsyncClient, auth: dict[str, str], database: Database
) -> None:
    # 300 letters URL-encode to 300 characters: three parts of 134.
    response = await outbox_client.post(INSTANT_SMS, json=sms_body(text="a" * 300), headers=auth)

    assert response.status_code == 201, response.text
    notification = await stored_notification(database, "sms", response.json()["notification"]["shipmentId"])
    assert notification["segments"] == 3


async def test_instant_sms__same_idempotency_id_again__answers_200_with_the_first_answer_and_sends_nothing(
    outbox_client: httpx.AsyncClient, auth: dict[str, str], settings: Settings, database: Database
) -> None:
    number = unique_number()
    first = await outbox_client.post(
        INSTANT_SMS, json=sms_body(idempotency_id="otp-42", number=number), headers=auth
    )
    assert first.status_code == 201

    # Even with another text and another reference: the id alone decides.
    again = await outbox_client.post(
        INSTANT_SMS,
        json=sms_body(idempotency_id="otp-42", number=number, text="Another text", reference="other"),
        headers=auth,
    )

    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    assert "Location" not in again.headers
    assert len(sms_to(settings.home, number)) == 1
    assert await stored_counts(database) == (1, 1, 1)


async def test_instant_order__same_id_for_another_creator__is_a_new_order(
    outbox_client: httpx.AsyncClient, tokens: Any, auth: dict[str, str], database: Database
) -> None:
    first = await outbox_client.post(INSTANT_SMS, json=sms_body(idempotency_id="shared"), headers=auth)
    other = await outbox_client.post(
        INSTANT_SMS, json=sms_body(idempotency_id="shared"), headers=tokens.bearer("skd")
    )

    assert (first.status_code, other.status_code) == (201, 201)
    assert other.json()["notificationOrderId"] != first.json()["notificationOrderId"]
    assert await stored_counts(database) == (2, 2, 2)


async def test_instant_order__deprecated_shape__sends_the_sms_and_shares_the_instant_idempotency_ids(
    outbox_client: httpx.AsyncClient, auth: dict[str, str], settings: Settings
) -> None:
    number = unique_number()
    body = sms_body(number=number, idempotency_id=unique_id())

    created = await outbox_client.post(INSTANT, json=deprecated_body(body), headers=auth)
    replayed = await outbox_client.post(INSTANT_SMS, json=body, headers=auth)

    assert created.status_code == 201, created.text
    assert replayed.status_code == 200
    assert replayed.json() == created.json()
    assert len(sms_to(settings.home, number)) == 1


async def test_instant_order__platform_access_token__is_accepted(
    outbox_client: httpx.AsyncClient, tokens: Any
) -> None:
    response = await outbox_client.post(INSTANT_SMS, json=sms_body(), headers=tokens.platform("ttd"))

    assert response.status_code == 201, response.text


async def test_instant_sms__without_sender__goes_out_from_the_default_sender(
    outbox_client: httpx.AsyncClient, auth: dict[str, str], settings: Settings
) -> None:
    number = unique_number()
    response = await outbox_client.post(INSTANT_SMS, json=sms_body(number=number, sender=None), headers=auth)

    assert response.status_code == 201
    [sent] = sms_to(settings.home, number)
    assert sent["from"] == settings.notifications.default_sms_sender


async def test_instant_email__through_an_smtp_server__arrives_before_the_answer_and_is_succeeded(
    settings: Settings, database: Database, clock: Clock, sink: SmtpSink, auth: dict[str, str]
) -> None:
    body = email_body(address="kari@example.com", contentType="Html", text="<p>Follow the link.</p>")

    async with instant_client(settings, database, clock, **smtp_overrides(sink)) as http:
        response = await http.post(INSTANT_EMAIL, json=body, headers=auth)

    assert response.status_code == 201, response.text
    [received] = sink.received
    assert received.rcpt_tos == ("kari@example.com",)
    assert received.message["Subject"] == "Reset your password"
    assert received.message["From"] == settings.notifications.default_email_from_address
    assert received.text == "<p>Follow the link.</p>"
    shipment_id = response.json()["notification"]["shipmentId"]
    notification = await stored_notification(database, "email", shipment_id)
    # The relay offers DSN and a bounce address is set: its report will say Delivered or Bounced.
    assert notification["status"] == "Succeeded"
    assert notification["provider_reference"] == str(notification["id"])
    assert notification["expires_at"] - notification["status_changed_at"] <= timedelta(hours=48)
    assert notification["expires_at"] - notification["status_changed_at"] > timedelta(hours=47)
    order = await stored_order(database, shipment_id)
    assert (order["processing_status"], order["order_type"]) == ("Processed", "Instant")


async def test_instant_email__delivery_report__completes_the_order(
    settings: Settings,
    database: Database,
    clock: Clock,
    sink: SmtpSink,
    auth: dict[str, str],
    tokens: Any,
) -> None:
    async with instant_client(settings, database, clock, **smtp_overrides(sink)) as http:
        created = await http.post(INSTANT_EMAIL, json=email_body(), headers=auth)
        shipment_id = created.json()["notification"]["shipmentId"]
        notification = await stored_notification(database, "email", shipment_id)

        report = await http.post(
            f"{API}/reports/email",
            json=[{"notificationId": str(notification["id"]), "status": "Delivered"}],
            headers=tokens.reporter(),
        )

    assert report.status_code == 200, report.text
    assert report.json()["applied"] == 1
    assert (await stored_notification(database, "email", shipment_id))["status"] == "Delivered"
    assert (await stored_order(database, shipment_id))["processing_status"] == "Completed"


async def test_instant_email__relay_down__503_not_00004_nothing_stored__then_the_same_id_succeeds(
    settings: Settings, database: Database, clock: Clock, sink: SmtpSink, auth: dict[str, str]
) -> None:
    body = email_body(idempotency_id="reset-7")
    async with instant_client(settings, database, clock, **smtp_overrides(sink)) as http:
        await sink.refuse_connections()
        refused = await http.post(INSTANT_EMAIL, json=body, headers=auth)

        assert refused.status_code == 503, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["code"] == "NOT-00004"
        assert int(refused.headers["Retry-After"]) > 0
        assert await stored_counts(database) == (0, 0, 0)

        await sink.accept_connections()
        retried = await http.post(INSTANT_EMAIL, json=body, headers=auth)

    assert retried.status_code == 201, retried.text
    assert len(sink.received) == 1
    assert await stored_counts(database) == (1, 1, 1)


async def test_instant_email__relay_refuses_for_now__503_and_nothing_stored(
    settings: Settings, database: Database, clock: Clock, sink: SmtpSink, auth: dict[str, str]
) -> None:
    sink.replies["busy@example.com"] = "451 4.3.0 Try again later"

    async with instant_client(settings, database, clock, **smtp_overrides(sink)) as http:
        response = await http.post(INSTANT_EMAIL, json=email_body(address="busy@example.com"), headers=auth)

    assert response.status_code == 503, response.text
    assert response.json()["code"] == "NOT-00004"
    assert await stored_counts(database) == (0, 0, 0)


async def test_instant_email__relay_refuses_the_recipient_for_good__stored_as_failed_and_completed(
    settings: Settings, database: Database, clock: Clock, sink: SmtpSink, auth: dict[str, str]
) -> None:
    sink.replies["nobody@example.com"] = "550 5.1.1 No such user"

    async with instant_client(settings, database, clock, **smtp_overrides(sink)) as http:
        response = await http.post(INSTANT_EMAIL, json=email_body(address="nobody@example.com"), headers=auth)

    # The provider did answer, for good: the order is kept with the outcome, as a worker would keep it.
    assert response.status_code == 201, response.text
    shipment_id = response.json()["notification"]["shipmentId"]
    assert (await stored_notification(database, "email", shipment_id))["status"].startswith("Failed")
    assert (await stored_order(database, shipment_id))["processing_status"] == "Completed"


async def test_instant_email__relay_too_slow__503_within_the_deadline(
    settings: Settings, database: Database, clock: Clock, sink: SmtpSink, auth: dict[str, str]
) -> None:
    sink.accept_limit = 0  # DATA is never answered

    async with instant_client(
        settings, database, clock, **smtp_overrides(sink, instant_send_timeout_seconds=0.5)
    ) as http:
        response = await asyncio.wait_for(http.post(INSTANT_EMAIL, json=email_body(), headers=auth), 10)
        sink.release()

    assert response.status_code == 503, response.text
    assert response.json()["code"] == "NOT-00004"
    assert await stored_counts(database) == (0, 0, 0)


async def test_instant_sms__eight_concurrent_requests_with_one_id__one_message_one_201_seven_200(
    outbox_client: httpx.AsyncClient, auth: dict[str, str], settings: Settings, database: Database
) -> None:
    number = unique_number()
    body = sms_body(idempotency_id=unique_id("burst"), number=number)

    responses = await asyncio.gather(
        *(outbox_client.post(INSTANT_SMS, json=body, headers=auth) for _ in range(8))
    )

    assert sorted(response.status_code for response in responses) == [200] * 7 + [201]
    assert len({response.text for response in responses}) == 1
    assert len(sms_to(settings.home, number)) == 1
    assert await stored_counts(database) == (1, 1, 1)


async def test_instant_email__eight_concurrent_requests_with_one_id__one_message_at_the_smtp_server(
    settings: Settings, database: Database, clock: Clock, sink: SmtpSink, auth: dict[str, str]
) -> None:
    body = email_body(idempotency_id=unique_id("burst"))

    async with instant_client(settings, database, clock, **smtp_overrides(sink)) as http:
        responses = await asyncio.gather(
            *(http.post(INSTANT_EMAIL, json=body, headers=auth) for _ in range(8))
        )

    assert sorted(response.status_code for response in responses) == [200] * 7 + [201]
    assert len({response.text for response in responses}) == 1
    assert len(sink.received) == 1
    assert await stored_counts(database) == (1, 1, 1)


# --- Refused requests ---------------------------------------------------------------------------------


async def refused(
    http: httpx.AsyncClient, auth: dict[str, str], path: str, body: dict[str, Any], field: str
) -> None:
    response = await http.post(path, json=body, headers=auth)
    assert response.status_code == 400, response.text
    problem = response.json()
    assert field in problem["errors"], problem["errors"]


@pytest.mark.parametrize("ttl", [59, 172_801, "300", 300.5, None])
async def test_instant_sms__time_to_live_out_of_bounds_or_not_a_whole_number__400_naming_it(
    outbox_client: httpx.AsyncClient, auth: dict[str, str], database: Database, ttl: Any
) -> None:
    await refused(outbox_client, auth, INSTANT_SMS, sms_body(ttl=ttl), "recipientSms.timeToLiveInSeconds")
    assert await stored_counts(database) == (0, 0, 0)


@pytest.mark.parametrize("ttl", [60, 172_800, 300.0])
async def test_instant_sms__time_to_live_at_its_bounds__accepted(
    outbox_client: httpx.AsyncClient, auth: dict[str, str], ttl: float
) -> None:
    response = await outbox_client.post(INSTANT_SMS, json=sms_body(ttl=ttl), headers=auth)
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("number", ["12345", "+47abc", "", "004"])
async def test_instant_sms__bad_phone_number__400_naming_it(
    outbox_client: httpx.AsyncClient, auth: dict[str, str], number: str
) -> None:
    body = sms_body()
    body["recipientSms"]["phoneNumber"] = number
    await refused(outbox_client, auth, INSTANT_SMS, body, "recipientSms.phoneNumber")


@pytest.mark.parametrize("text", [None, "", "   "])
async def test_instant_sms__missing_or_blank_body__400_naming_it(
    outbox_client: httpx.AsyncClient, auth: dict[str, str], text: str | None
) -> None:
    body = sms_body()
    if text is None:
        del body["recipientSms"]["smsSettings"]["body"]
    else:
        body["recipientSms"]["smsSettings"]["body"] = text
    await refused(outbox_client, auth, INSTANT_SMS, body, "recipientSms.smsSettings.body")


async def test_instant_order__missing_idempotency_id__400_naming_it(
    outbox_client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    body = sms_body()
    del body["idempotencyId"]
    await refused(outbox_client, auth, INSTANT_SMS, body, "idempotencyId")


async def test_instant_email__bad_address_and_missing_subject__400_naming_both(
    outbox_client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    body = email_body(address="not-an-address")
    del body["recipientEmail"]["emailSettings"]["subject"]

    response = await outbox_client.post(INSTANT_EMAIL, json=body, headers=auth)

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert "recipientEmail.emailAddress" in errors
    assert "recipientEmail.emailSettings.subject" in errors


async def test_instant_order__deprecated_shape_without_its_recipient__400_naming_it(
    outbox_client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await refused(outbox_client, auth, INSTANT, sms_body(), "recipient")


@pytest.mark.parametrize("path", [INSTANT_SMS, INSTANT_EMAIL, INSTANT])
async def test_instant_order__token_of_no_known_issuer__401_and_nothing_sent(
    outbox_client: httpx.AsyncClient, database: Database, path: str
) -> None:
    body = (
        deprecated_body(sms_body())
        if path == INSTANT
        else sms_body()
        if path == INSTANT_SMS
        else email_body()
    )
    forged = {"Authorization": "Bearer eyJhbGciOiJSUzI1NiJ9.eyJ1cm46YWx0aW5uOm9yZyI6InR0ZCJ9.c2lnbmF0dXJl"}

    unknown = await outbox_client.post(path, json=body, headers=forged)
    missing = await outbox_client.post(path, json=body)

    assert (unknown.status_code, missing.status_code) == (401, 401)
    assert await stored_counts(database) == (0, 0, 0)


async def test_instant_order__token_without_the_create_scope__403(
    outbox_client: httpx.AsyncClient, tokens: Any
) -> None:
    response = await outbox_client.post(
        INSTANT_SMS, json=sms_body(), headers=tokens.bearer("ttd", scopes=("other",))
    )
    assert response.status_code == 403
