"""Order chains of the current API generation (`POST /future/orders`): a main notification and its
reminders, each an order of its own carried out by the pipeline, registered once per idempotency id."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from orderdesk.core.db import Database
from orderdesk.notifications.tasks.pipeline import NotificationPipeline
from tests.conftest import Clock, Tokens
from tests.factories import contacts
from tests.support.http_stub import HttpStub, http_stub
from tests.support.notifications_api import (
    API,
    DAYTIME,
    outbox_mail,
    outbox_sms,
    processing_status,
)
from tests.support.wire import assert_problem

CHAINS = f"{API}/future/orders"


@pytest.fixture
def stub() -> Iterator[HttpStub]:
    with http_stub() as running:
        yield running


def email_recipient(
    address: str = "ola@example.com", subject: str = "Invoice", body: str = "It is ready."
) -> dict[str, Any]:
    return {"recipientEmail": {"emailAddress": address, "emailSettings": {"subject": subject, "body": body}}}


def sms_recipient(
    number: str = "+4799999999", body: str = "Still unread.", **settings: Any
) -> dict[str, Any]:
    return {"recipientSms": {"phoneNumber": number, "smsSettings": {"body": body, **settings}}}


def chain(idempotency_id: str = "chain-1", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "idempotencyId": idempotency_id,
        "sendersReference": "invoice-42",
        "recipient": email_recipient(),
    }
    body.update(overrides)
    return body


async def register(
    client: httpx.AsyncClient, auth: dict[str, str], body: dict[str, Any], status: int = 201
) -> dict[str, Any]:
    response = await client.post(CHAINS, json=body, headers=auth)
    assert response.status_code == status, response.text
    receipt: dict[str, Any] = response.json()
    return receipt


async def test_chain__201_with_the_receipt_and_the_main_shipment_as_location(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    body = chain(
        reminders=[
            {"sendersReference": "invoice-42-r1", "delayDays": 7, "recipient": sms_recipient()},
            {"delayDays": 14, "recipient": email_recipient(subject="Second reminder")},
        ]
    )
    response = await client.post(CHAINS, json=body, headers=auth)

    assert response.status_code == 201, response.text
    receipt = response.json()
    notification = receipt["notification"]
    assert notification["sendersReference"] == "invoice-42"
    assert [r.get("sendersReference") for r in notification["reminders"]] == ["invoice-42-r1", None]
    shipment_ids = {notification["shipmentId"], *(r["shipmentId"] for r in notification["reminders"])}
    assert len(shipment_ids) == 3
    assert receipt["notificationOrderId"] not in shipment_ids
    assert response.headers["Location"].endswith(f"{API}/future/shipment/{notification['shipmentId']}")
    # Each shipment is an order of its own, registered and readable through v1 too.
    for shipment_id in shipment_ids:
        assert await processing_status(client, auth, shipment_id) == "Registered"


async def test_chain_without_reminders__reminders_null(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    receipt = await register(client, auth, chain())
    assert "reminders" not in receipt["notification"]


async def test_chain__main_sent_now__reminder_after_its_delay_when_its_condition_holds(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    pipeline: NotificationPipeline,
    outbox_home: Path,
    clock: Clock,
    stub: HttpStub,
) -> None:
    clock.set(DAYTIME)
    unread = stub.answer("/dialog/42/unread", 200, '{"sendNotification": true}')
    receipt = await register(
        client,
        auth,
        chain(reminders=[{"delayDays": 2, "conditionEndpoint": unread, "recipient": sms_recipient()}]),
    )
    main_id = receipt["notification"]["shipmentId"]
    [reminder] = receipt["notification"]["reminders"]

    await pipeline.run_until_idle()
    [mail] = outbox_mail(outbox_home)
    assert (mail["To"], mail["Subject"]) == ("ola@example.com", "Invoice")
    assert await processing_status(client, auth, main_id) == "Completed"
    assert await processing_status(client, auth, reminder["shipmentId"]) == "Registered"
    assert outbox_sms(outbox_home) == []
    assert stub.requests == []

    clock.advance(timedelta(days=2))
    await pipeline.run_until_idle()

    assert stub.requests == ["/dialog/42/unread"]
    [sms] = outbox_sms(outbox_home)
    assert (sms["to"], sms["body"]) == ("+4799999999", "Still unread.")
    assert await processing_status(client, auth, reminder["shipmentId"]) == "Completed"
    assert len(outbox_mail(outbox_home)) == 1


async def test_chain__reminder_whose_condition_no_longer_holds__send_condition_not_met_nothing_sent(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    pipeline: NotificationPipeline,
    outbox_home: Path,
    clock: Clock,
    stub: HttpStub,
) -> None:
    clock.set(DAYTIME)
    read_already = stub.answer("/dialog/42/unread", 200, '{"sendNotification": false}')
    reminder_time = DAYTIME + timedelta(days=1)
    receipt = await register(
        client,
        auth,
        chain(
            reminders=[
                {
                    "requestedSendTime": reminder_time.isoformat(),
                    "conditionEndpoint": read_already,
                    "recipient": email_recipient(subject="Reminder"),
                }
            ]
        ),
    )
    [reminder] = receipt["notification"]["reminders"]

    clock.set(reminder_time)
    await pipeline.run_until_idle()

    assert [mail["Subject"] for mail in outbox_mail(outbox_home)] == ["Invoice"]
    assert stub.requests == ["/dialog/42/unread"]
    assert await processing_status(client, auth, reminder["shipmentId"]) == "SendConditionNotMet"


async def test_chain__sms_held_to_the_daytime_window_unless_anytime(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    pipeline: NotificationPipeline,
    outbox_home: Path,
    clock: Clock,
) -> None:
    night = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)
    clock.set(night)
    await register(client, auth, chain("daytime", recipient=sms_recipient(body="Daytime")))
    await register(
        client,
        auth,
        chain("anytime", recipient=sms_recipient(body="Your code: 1234", sendingTimePolicy="Anytime")),
    )

    await pipeline.run_until_idle()

    assert [sms["body"] for sms in outbox_sms(outbox_home)] == ["Your code: 1234"]


async def test_same_idempotency_id_again__200_with_the_first_receipt_and_nothing_new(
    client: httpx.AsyncClient, auth: dict[str, str], pipeline: NotificationPipeline, outbox_home: Path
) -> None:
    first = await register(client, auth, chain(reminders=[{"delayDays": 1, "recipient": sms_recipient()}]))

    again = await register(
        client,
        auth,
        chain(recipient=email_recipient("someone.else@example.com"), sendersReference="other"),
        200,
    )
    await pipeline.run_until_idle()

    assert again == first
    assert [mail["To"] for mail in outbox_mail(outbox_home)] == ["ola@example.com"]
    found = await client.get(f"{API}/orders", params={"sendersReference": "other"}, headers=auth)
    assert found.json()["count"] == 0


async def test_idempotency_id__per_creator(
    client: httpx.AsyncClient, auth: dict[str, str], tokens: Tokens
) -> None:
    mine = await register(client, auth, chain("shared-id"))
    theirs = await register(client, tokens.bearer("nav"), chain("shared-id"))
    assert mine["notificationOrderId"] != theirs["notificationOrderId"]


async def test_eight_concurrent_requests_with_one_id__one_chain_one_201_seven_200(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    body = chain("concurrent", reminders=[{"delayDays": 1, "recipient": sms_recipient()}])
    responses = await asyncio.gather(*(client.post(CHAINS, json=body, headers=auth) for _ in range(8)))

    assert sorted(response.status_code for response in responses) == [200] * 7 + [201]
    assert len({response.json()["notificationOrderId"] for response in responses}) == 1
    found = await client.get(f"{API}/orders", params={"sendersReference": "invoice-42"}, headers=auth)
    assert found.json()["count"] == 1


async def test_person_without_contact_point__422_not_00001_nothing_stored__accepted_once_registered(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database
) -> None:
    person = {
        "recipientPerson": {
            "nationalIdentityNumber": contacts.PERSON_UNKNOWN,
            "channelSchema": "Email",
            "emailSettings": {"subject": "Hello", "body": "Text"},
        }
    }
    response = await client.post(CHAINS, json=chain("lookup", recipient=person), headers=auth)

    problem = assert_problem(response, 422, "https://tools.ietf.org/html/rfc9110#section-15.5.21")
    assert problem["code"] == "NOT-00001"
    assert contacts.PERSON_UNKNOWN in problem["detail"]
    found = await client.get(f"{API}/orders", params={"sendersReference": "invoice-42"}, headers=auth)
    assert found.json()["count"] == 0

    await contacts.load(
        database, {"persons": [contacts.person(contacts.PERSON_UNKNOWN)], "organizations": []}
    )
    await register(client, auth, chain("lookup", recipient=person))


async def test_reminder_to_an_organisation_without_sms__422_for_the_whole_chain(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database
) -> None:
    await contacts.load(
        database,
        {"persons": [], "organizations": [contacts.organization(contacts.ORGANIZATION, mobileNumbers=[])]},
    )
    organization = {
        "recipientOrganization": {
            "orgNumber": contacts.ORGANIZATION,
            "channelSchema": "Sms",
            "smsSettings": {"body": "Reminder"},
        }
    }
    response = await client.post(
        CHAINS, json=chain(reminders=[{"delayDays": 1, "recipient": organization}]), headers=auth
    )
    assert (
        assert_problem(response, 422, "https://tools.ietf.org/html/rfc9110#section-15.5.21")["code"]
        == "NOT-00001"
    )


async def test_reserved_person__not_missing__accepted(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database
) -> None:
    await contacts.load(database)
    person = {
        "recipientPerson": {
            "nationalIdentityNumber": contacts.PERSON_RESERVED,
            "emailSettings": {"subject": "Hello", "body": "Text"},
            "smsSettings": {"body": "Text"},
        }
    }
    await register(client, auth, chain(recipient=person))


def _in_the_past() -> str:
    return (datetime.now(UTC) - timedelta(minutes=1)).isoformat()


def _with(path: str, value: Any) -> dict[str, Any]:
    """A valid chain with one reminder, with the value at `path` (dots, list indexes) replaced;
    a value of `...` removes the field."""
    body = chain("invalid", reminders=[{"delayDays": 1, "recipient": sms_recipient()}])
    target: Any = body
    *parents, last = [int(part) if part.isdigit() else part for part in path.split(".")]
    for part in parents:
        target = target[part]
    if value is ...:
        del target[last]
    else:
        target[last] = copy.deepcopy(value)
    return body


INVALID = [
    ("idempotencyId", ..., "idempotencyId"),
    ("idempotencyId", " ", "idempotencyId"),
    ("recipient", {}, "recipient"),
    ("recipient", {**email_recipient(), **sms_recipient()}, "recipient"),
    ("recipient.recipientEmail.emailAddress", "not-an-address", "recipient.recipientEmail.emailAddress"),
    ("recipient.recipientEmail.emailSettings.subject", " ", "recipient.recipientEmail.emailSettings.subject"),
    (
        "recipient.recipientEmail.emailSettings.sendingTimePolicy",
        "Daytime",
        "recipient.recipientEmail.emailSettings.sendingTimePolicy",
    ),
    ("requestedSendTime", "2030-01-01T10:00:00", "requestedSendTime"),
    ("conditionEndpoint", "/relative", "conditionEndpoint"),
    ("conditionEndpoint", "http://10.0.0.1/condition", "conditionEndpoint"),
    ("reminders.0.delayDays", 0, "reminders[0].delayDays"),
    ("reminders.0.requestedSendTime", "2030-01-01T10:00:00Z", "reminders[0]"),
    ("reminders.0.delayDays", ..., "reminders[0]"),
    (
        "reminders.0.recipient.recipientSms.phoneNumber",
        "12345",
        "reminders[0].recipient.recipientSms.phoneNumber",
    ),
    (
        "reminders.0.recipient",
        {"recipientPerson": {"nationalIdentityNumber": "123"}},
        "reminders[0].recipient.recipientPerson.nationalIdentityNumber",
    ),
    (
        "reminders.0.recipient",
        {"recipientPerson": {"nationalIdentityNumber": contacts.PERSON_WITH_EMAIL, "channelSchema": "Sms"}},
        "reminders[0].recipient.recipientPerson",
    ),
    (
        "reminders.0.recipient",
        {"recipientOrganization": {"orgNumber": contacts.ORGANIZATION, "smsSettings": {"body": "x"}}},
        "reminders[0].recipient.recipientOrganization.channelSchema",
    ),
    (
        "recipient",
        {
            "recipientPerson": {
                "nationalIdentityNumber": contacts.PERSON_WITH_EMAIL,
                "channelSchema": "Email",
                "resourceId": "app_ttd_demo",
                "emailSettings": {"subject": "s", "body": "b"},
            }
        },
        "recipient.recipientPerson.resourceId",
    ),
    (
        "recipient",
        {
            "recipientExternalIdentity": {
                "externalIdentity": "urn:altinn:person:idporten-email:nope",
                "emailSettings": {"subject": "s", "body": "b"},
            }
        },
        "recipient.recipientExternalIdentity.externalIdentity",
    ),
    ("dialogportenAssociation", {"dialogId": 42}, "dialogportenAssociation.dialogId"),
]


@pytest.mark.parametrize(
    ("path", "value", "field"), INVALID, ids=[f"{path}={value!r}" for path, value, _ in INVALID]
)
async def test_invalid_chain__400_naming_the_field__nothing_stored(
    client: httpx.AsyncClient, auth: dict[str, str], path: str, value: Any, field: str
) -> None:
    response = await client.post(CHAINS, json=_with(path, value), headers=auth)

    problem = assert_problem(response, 400, "https://tools.ietf.org/html/rfc9110#section-15.5.1")
    assert field in problem["errors"], problem["errors"]
    # Nothing was stored under the id: the corrected request is registered.
    await register(client, auth, _with("sendersReference", "corrected"))


async def test_send_times_in_the_past__400_no_grace(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    body = chain(
        requestedSendTime=_in_the_past(),
        reminders=[{"requestedSendTime": _in_the_past(), "recipient": sms_recipient()}],
    )
    response = await client.post(CHAINS, json=body, headers=auth)

    problem = assert_problem(response, 400, "https://tools.ietf.org/html/rfc9110#section-15.5.1")
    assert {"requestedSendTime", "reminders[0].requestedSendTime"} <= problem["errors"].keys()


async def test_delay_past_the_calendar__400(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    body = chain(
        requestedSendTime="9999-12-01T00:00:00Z",
        reminders=[{"delayDays": 3650, "recipient": sms_recipient()}],
    )
    response = await client.post(CHAINS, json=body, headers=auth)
    assert (
        "reminders[0].delayDays"
        in assert_problem(response, 400, "https://tools.ietf.org/html/rfc9110#section-15.5.1")["errors"]
    )


async def test_external_identity_by_email__sent_to_that_address(
    client: httpx.AsyncClient, auth: dict[str, str], pipeline: NotificationPipeline, outbox_home: Path
) -> None:
    identity = {
        "recipientExternalIdentity": {
            "externalIdentity": "urn:altinn:person:idporten-email:kari@example.com",
            "emailSettings": {"subject": "Hello", "body": "Text"},
        }
    }
    await register(client, auth, chain(recipient=identity))
    await pipeline.run_until_idle()
    assert [mail["To"] for mail in outbox_mail(outbox_home)] == ["kari@example.com"]


async def test_external_identity_by_username__no_register__422(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    identity = {
        "recipientExternalIdentity": {
            "externalIdentity": "urn:altinn:username:kari",
            "emailSettings": {"subject": "Hello", "body": "Text"},
        }
    }
    response = await client.post(CHAINS, json=chain(recipient=identity), headers=auth)
    problem = assert_problem(response, 422, "https://tools.ietf.org/html/rfc9110#section-15.5.21")
    assert "urn:altinn:username:kari" in problem["detail"]


async def test_chain__without_credentials_401__with_a_data_order_token_401(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    assert (await client.post(CHAINS, json=chain())).status_code == 401
    assert (await client.post(CHAINS, json=chain(), headers=tokens.user())).status_code == 401


async def test_chain__platform_access_token__accepted(client: httpx.AsyncClient, tokens: Tokens) -> None:
    await register(client, tokens.platform("ttd"), chain())
