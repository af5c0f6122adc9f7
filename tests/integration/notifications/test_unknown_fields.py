"""A field the API does not know, anywhere in a notification request, is a 400 problem naming its path,
and nothing is stored or sent: a misspelt optional field (`sendrsReference`) must not pass unnoticed."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from orderdesk.auth.tokens import COMPOSED_EMAIL_CREATE_SCOPE
from orderdesk.core.db import Database
from tests.conftest import Tokens
from tests.factories.notifications import email_order, order, sms_order
from tests.integration.notifications.instant_support import (
    INSTANT,
    INSTANT_EMAIL,
    INSTANT_SMS,
    deprecated_body,
    email_body,
    sms_body,
    stored_counts,
)
from tests.support.notifications_api import API

UNKNOWN = "Extra inputs are not permitted"
SAS_URL = "https://acct.blob.core.windows.net/c/invoice.pdf?sp=r&se=2030-01-01T00:00:00Z&sr=b&sig=c2ln"


def chain(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "idempotencyId": "strict-1",
        "sendersReference": "strict-1",
        "recipient": {
            "recipientEmail": {
                "emailAddress": "ola@example.com",
                "emailSettings": {"subject": "Your invoice", "body": "It is ready."},
            }
        },
        "reminders": [
            {
                "delayDays": 7,
                "recipient": {
                    "recipientSms": {"phoneNumber": "+4799999999", "smsSettings": {"body": "Still unread."}}
                },
            }
        ],
    }
    body.update(overrides)
    return body


def composed(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "idempotencyId": "strict-composed",
        "recipient": {
            "emailAddress": "ola@example.com",
            "emailSettings": {
                "subject": "Your invoice",
                "body": "It is attached.",
                "attachments": [
                    {"filename": "invoice.pdf", "mimeType": "application/pdf", "sasUrl": SAS_URL}
                ],
            },
        },
    }
    body.update(overrides)
    return body


def _reminder_with(**sms: Any) -> list[dict[str, Any]]:
    reminder = chain()["reminders"][0]
    reminder["recipient"]["recipientSms"].update(sms)
    return [reminder]


def _composed_attachment_with(**extra: Any) -> dict[str, Any]:
    body = composed()
    body["recipient"]["emailSettings"]["attachments"][0].update(extra)
    return body


def _instant_sms_with(**extra: Any) -> dict[str, Any]:
    body = sms_body()
    body["recipientSms"]["smsSettings"].update(extra)
    return body


V1_CASES = [
    pytest.param(
        f"{API}/orders/email", email_order(sendrsReference="x"), "sendrsReference", id="v1_email_top"
    ),
    pytest.param(
        f"{API}/orders/sms",
        sms_order(recipients=[{"mobileNumber": "+4799999999", "nickname": "Ola"}]),
        "recipients[0].nickname",
        id="v1_sms_recipient",
    ),
    pytest.param(
        f"{API}/orders",
        order(emailTemplate={"subject": "S", "body": "B", "fromAdress": "a@example.com"}),
        "emailTemplate.fromAdress",
        id="v1_order_template",
    ),
]

FUTURE_CASES = [
    pytest.param(
        f"{API}/future/orders",
        chain(reminders=_reminder_with(sendrsReference="r-1")),
        "reminders[0].recipient.recipientSms.sendrsReference",
        id="chain_reminder_recipient",
    ),
    pytest.param(f"{API}/future/orders", chain(priority="high"), "priority", id="chain_top"),
    pytest.param(
        INSTANT_SMS, _instant_sms_with(flash=True), "recipientSms.smsSettings.flash", id="instant_sms"
    ),
    pytest.param(
        INSTANT_EMAIL, email_body(bcc="x@example.com"), "recipientEmail.emailSettings.bcc", id="instant_email"
    ),
    pytest.param(
        INSTANT,
        {**deprecated_body(sms_body()), "sendersRef": "x"},
        "sendersRef",
        id="instant_deprecated_shape",
    ),
]


@pytest.mark.parametrize(("path", "body", "field"), V1_CASES + FUTURE_CASES)
async def test_place_order__unknown_field__bad_request_naming_its_path_and_nothing_stored(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database, path: str, body: Any, field: str
) -> None:
    response = await client.post(path, json=body, headers=auth)

    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["errors"] == {field: [UNKNOWN]}
    assert field in problem["detail"]
    assert problem["traceId"]
    assert await stored_counts(database) == (0, 0, 0)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param(composed(sendersRef="x"), "sendersRef", id="top"),
        pytest.param(
            _composed_attachment_with(size=12), "recipient.emailSettings.attachments[0].size", id="attachment"
        ),
    ],
)
async def test_composed_email__unknown_field__bad_request_naming_its_path_and_nothing_stored(
    client: httpx.AsyncClient, tokens: Tokens, database: Database, body: Any, field: str
) -> None:
    composed_auth = tokens.bearer("ttd", scopes=(COMPOSED_EMAIL_CREATE_SCOPE,))

    response = await client.post(f"{API}/future/orders/composed-email", json=body, headers=composed_auth)

    assert response.status_code == 400, response.text
    assert response.json()["errors"] == {field: [UNKNOWN]}
    assert await stored_counts(database) == (0, 0, 0)


async def test_place_order__every_field_known__accepted(
    client: httpx.AsyncClient, auth: dict[str, str], tokens: Tokens
) -> None:
    """The same bodies without the unknown field go through: the refusal is of that field alone."""
    composed_auth = tokens.bearer("ttd", scopes=(COMPOSED_EMAIL_CREATE_SCOPE,))

    assert (await client.post(f"{API}/orders/email", json=email_order(), headers=auth)).status_code == 202
    assert (await client.post(f"{API}/future/orders", json=chain(), headers=auth)).status_code == 201
    composed_response = await client.post(
        f"{API}/future/orders/composed-email", json=composed(), headers=composed_auth
    )
    assert composed_response.status_code == 201, composed_response.text
