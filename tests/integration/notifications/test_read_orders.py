"""Reading orders back: by id, by sender's reference, their status and their notifications; and what
the recipient lookup at registration reports."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from orderdesk.core.db import Database
from orderdesk.notifications.tables import notification_order
from tests.conftest import Tokens
from tests.factories import contacts
from tests.factories.notifications import email_order, order, sms_order
from tests.support.wire import PROBLEM, parse_wire_time

API = "/notifications/api/v1"
BASE = "http://testserver"

GET_SUFFIXES = ["", "/status", "/notifications/email", "/notifications/sms"]


async def place(
    client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any], path: str = "/orders/email"
) -> dict[str, Any]:
    response = await client.post(f"{API}{path}", json=body, headers=headers)
    assert response.status_code == 202, response.text
    placed: dict[str, Any] = response.json()
    return placed


async def place_id(
    client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any], path: str = "/orders/email"
) -> str:
    placed = await place(client, headers, body, path)
    order_id: str = placed["orderId"]
    return order_id


# ---- GET /orders/{id} -----------------------------------------------------------------------------


async def test_get_order__email_order__has_the_seed_body_shape(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    before = datetime.now(UTC)
    order_id = await place_id(
        client,
        auth,
        email_order(sendersReference="demo-2023-01", requestedSendTime="2030-01-01T09:00:00+01:00"),
    )
    after = datetime.now(UTC)

    response = await client.get(f"{API}/orders/{order_id}", headers=auth)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {
        "id",
        "creator",
        "sendersReference",
        "requestedSendTime",
        "created",
        "notificationChannel",
        "recipients",
        "emailTemplate",
        "links",
    }
    assert body["id"] == order_id
    assert body["creator"] == "ttd"
    assert body["sendersReference"] == "demo-2023-01"
    assert body["requestedSendTime"] == "2030-01-01T08:00:00Z"
    assert before <= parse_wire_time(body["created"]) <= after
    assert body["notificationChannel"] == "Email"
    assert body["recipients"] == [{"emailAddress": "recipient@domain.com"}]
    assert body["emailTemplate"] == {
        "fromAddress": "noreply@orderdesk.local",
        "subject": "A subject",
        "body": "A body",
        "contentType": "Plain",
    }
    assert body["links"] == {
        "self": f"{BASE}{API}/orders/{order_id}",
        "status": f"{BASE}{API}/orders/{order_id}/status",
    }


async def test_get_order__sms_order__has_sms_template_and_no_email_template(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    order_id = await place_id(client, auth, sms_order(), "/orders/sms")

    body = (await client.get(f"{API}/orders/{order_id}", headers=auth)).json()

    assert body["notificationChannel"] == "Sms"
    assert body["recipients"] == [{"mobileNumber": "+4799999999"}]
    assert body["smsTemplate"] == {"senderNumber": "Altinn", "body": "A text"}
    assert "emailTemplate" not in body


async def test_get_order__generic_order__keeps_optional_fields_and_both_templates(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    order_id = await place_id(
        client,
        auth,
        order(
            notificationChannel="EmailPreferred",
            recipients=[{"emailAddress": "a@example.com", "mobileNumber": "+4799999999"}],
            smsTemplate={"body": "SMS text"},
            ignoreReservation=True,
            resourceId="urn:altinn:resource:demo",
            resourceAction="read",
            conditionEndpoint="https://example.com/condition",
        ),
        "/orders",
    )

    body = (await client.get(f"{API}/orders/{order_id}", headers=auth)).json()

    assert body["notificationChannel"] == "EmailPreferred"
    assert body["ignoreReservation"] is True
    assert body["resourceId"] == "urn:altinn:resource:demo"
    assert body["resourceAction"] == "read"
    assert body["conditionEndpoint"] == "https://example.com/condition"
    assert body["emailTemplate"]["fromAddress"] == "sender@domain.com"
    assert body["smsTemplate"] == {"senderNumber": "orderdesk", "body": "SMS text"}


async def test_get_order__with_platform_access_token__same_order_for_the_same_org(
    client: httpx.AsyncClient, auth: dict[str, str], tokens: Tokens
) -> None:
    order_id = await place_id(client, auth, email_order())

    response = await client.get(f"{API}/orders/{order_id}", headers=tokens.platform("ttd"))

    assert response.status_code == 200
    assert response.json()["id"] == order_id


@pytest.mark.parametrize(
    ("path", "body", "absent_template"),
    [("/orders/email", email_order(), "sms_template"), ("/orders/sms", sms_order(), "email_template")],
)
async def test_register__one_channel__other_template_stored_as_sql_null(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    database: Database,
    path: str,
    body: dict[str, Any],
    absent_template: str,
) -> None:
    order_id = await place_id(client, auth, body, path)

    async with database.transaction() as connection:
        row = (
            await connection.execute(
                select(notification_order.c[absent_template].is_(None)).where(
                    notification_order.c.id == uuid.UUID(order_id)
                )
            )
        ).one()
    assert row[0] is True


# ---- GET /orders?sendersReference= ----------------------------------------------------------------


async def test_find_orders__by_senders_reference__lists_only_that_reference(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    first = await place_id(client, auth, email_order(sendersReference="batch-7"))
    second = await place_id(client, auth, sms_order(sendersReference="batch-7"), "/orders/sms")
    await place_id(client, auth, email_order(sendersReference="batch-8"))

    response = await client.get(f"{API}/orders", params={"sendersReference": "batch-7"}, headers=auth)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert {found["id"] for found in body["orders"]} == {first, second}
    for found in body["orders"]:
        assert found["sendersReference"] == "batch-7"
        assert found["links"]["self"] == f"{BASE}{API}/orders/{found['id']}"


async def test_find_orders__no_order_has_the_reference__empty_list(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await place_id(client, auth, email_order(sendersReference="something-else"))

    response = await client.get(f"{API}/orders", params={"sendersReference": "nothing"}, headers=auth)

    assert response.status_code == 200
    assert response.json() == {"count": 0, "orders": []}


async def test_find_orders__another_org_used_the_same_reference__only_the_callers_orders(
    client: httpx.AsyncClient, auth: dict[str, str], tokens: Tokens
) -> None:
    mine = await place_id(client, auth, email_order(sendersReference="shared-ref"))
    await place_id(client, tokens.bearer("digdir"), email_order(sendersReference="shared-ref"))

    response = await client.get(f"{API}/orders", params={"sendersReference": "shared-ref"}, headers=auth)

    body = response.json()
    assert body["count"] == 1
    assert [found["id"] for found in body["orders"]] == [mine]
    assert body["orders"][0]["creator"] == "ttd"


async def test_find_orders__without_senders_reference__bad_request_problem(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await client.get(f"{API}/orders", headers=auth)

    assert response.status_code == 400
    assert response.headers["content-type"].startswith(PROBLEM)
    problem = response.json()
    assert problem["status"] == 400
    assert problem["type"] == "https://tools.ietf.org/html/rfc9110#section-15.5.1"
    assert problem["traceId"]
    assert "sendersReference" in problem["errors"]


# ---- GET /orders/{id}/status ----------------------------------------------------------------------


async def test_get_order_status__new_order__registered_without_notification_summary(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    order_id = await place_id(
        client, auth, email_order(sendersReference="status-ref", requestedSendTime="2031-05-01T12:00:00Z")
    )
    created = (await client.get(f"{API}/orders/{order_id}", headers=auth)).json()["created"]

    response = await client.get(f"{API}/orders/{order_id}/status", headers=auth)

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == order_id
    assert body["creator"] == "ttd"
    assert body["sendersReference"] == "status-ref"
    assert body["requestedSendTime"] == "2031-05-01T12:00:00Z"
    assert body["created"] == created
    assert body["notificationChannel"] == "Email"
    assert body["processingStatus"] == {
        "status": "Registered",
        "description": "Order has been registered and is awaiting requested send time before processing.",
        "lastUpdate": created,
    }
    assert "notificationsStatusSummary" not in body


# ---- GET /orders/{id}/notifications/email|sms -----------------------------------------------------


@pytest.mark.parametrize("channel", ["email", "sms"])
async def test_get_notifications__nothing_generated_yet__empty_summary(
    client: httpx.AsyncClient, auth: dict[str, str], channel: str
) -> None:
    order_id = await place_id(client, auth, email_order(sendersReference="summary-ref"))

    response = await client.get(f"{API}/orders/{order_id}/notifications/{channel}", headers=auth)

    assert response.status_code == 200
    assert response.json() == {
        "orderId": order_id,
        "sendersReference": "summary-ref",
        "generated": 0,
        "succeeded": 0,
        "notifications": [],
    }


# ---- both spellings, 404 and 400 ------------------------------------------------------------------


@pytest.mark.parametrize("suffix", GET_SUFFIXES)
async def test_get__singular_order_path__answers_as_the_plural(
    client: httpx.AsyncClient, auth: dict[str, str], suffix: str
) -> None:
    order_id = await place_id(client, auth, email_order())

    plural = await client.get(f"{API}/orders/{order_id}{suffix}", headers=auth)
    singular = await client.get(f"{API}/order/{order_id}{suffix}", headers=auth)

    assert plural.status_code == singular.status_code == 200
    assert singular.json() == plural.json()


@pytest.mark.parametrize("collection", ["orders", "order"])
@pytest.mark.parametrize("suffix", GET_SUFFIXES)
async def test_get__unknown_order_id__not_found_with_empty_body(
    client: httpx.AsyncClient, auth: dict[str, str], collection: str, suffix: str
) -> None:
    response = await client.get(f"{API}/{collection}/{uuid.uuid4()}{suffix}", headers=auth)

    assert response.status_code == 404
    assert response.content == b""


@pytest.mark.parametrize("suffix", GET_SUFFIXES)
async def test_get__another_orgs_order__not_found_with_empty_body(
    client: httpx.AsyncClient, auth: dict[str, str], tokens: Tokens, suffix: str
) -> None:
    order_id = await place_id(client, tokens.bearer("digdir"), email_order())

    response = await client.get(f"{API}/orders/{order_id}{suffix}", headers=auth)

    assert response.status_code == 404
    assert response.content == b""


@pytest.mark.parametrize("suffix", GET_SUFFIXES)
async def test_get__order_id_not_a_guid__bad_request_naming_id(
    client: httpx.AsyncClient, auth: dict[str, str], suffix: str
) -> None:
    response = await client.get(f"{API}/orders/not-a-guid{suffix}", headers=auth)

    assert response.status_code == 400
    assert response.headers["content-type"].startswith(PROBLEM)
    problem = response.json()
    assert problem["status"] == 400
    assert problem["traceId"]
    assert list(problem["errors"]) == ["id"]


# ---- recipient lookup at registration -------------------------------------------------------------


async def test_register__only_direct_addresses__no_recipient_lookup(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    placed = await place(client, auth, email_order())

    assert "recipientLookup" not in placed


async def test_register__all_looked_up_recipients_reachable__lookup_success(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database
) -> None:
    await contacts.load(database)

    placed = await place(
        client,
        auth,
        email_order(
            recipients=[
                {"nationalIdentityNumber": contacts.PERSON_WITH_EMAIL},
                {"organizationNumber": contacts.ORGANIZATION},
            ]
        ),
    )

    assert placed["recipientLookup"] == {"status": "Success", "isReserved": [], "missingContact": []}


async def test_register__unknown_person_and_organization__lookup_partial_success_naming_them(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database
) -> None:
    await contacts.load(database)

    placed = await place(
        client,
        auth,
        email_order(
            recipients=[
                {"nationalIdentityNumber": contacts.PERSON_WITH_EMAIL},
                {"nationalIdentityNumber": contacts.PERSON_UNKNOWN},
                {"organizationNumber": contacts.ORGANIZATION_UNKNOWN},
            ]
        ),
    )

    lookup = placed["recipientLookup"]
    assert lookup["status"] == "PartialSuccess"
    assert lookup["isReserved"] == []
    assert sorted(lookup["missingContact"]) == sorted(
        [contacts.PERSON_UNKNOWN, contacts.ORGANIZATION_UNKNOWN]
    )


async def test_register__no_looked_up_recipient_reachable__lookup_failed(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database
) -> None:
    await contacts.load(database)

    placed = await place(
        client,
        auth,
        email_order(
            recipients=[
                {"nationalIdentityNumber": contacts.PERSON_UNKNOWN},
                {"nationalIdentityNumber": contacts.PERSON_RESERVED},
            ]
        ),
    )

    assert placed["recipientLookup"] == {
        "status": "Failed",
        "isReserved": [contacts.PERSON_RESERVED],
        "missingContact": [contacts.PERSON_UNKNOWN],
    }


async def test_register__empty_contact_register__lookup_failed_with_every_number_missing(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    placed = await place(
        client, auth, email_order(recipients=[{"nationalIdentityNumber": contacts.PERSON_WITH_EMAIL}])
    )

    assert placed["recipientLookup"] == {
        "status": "Failed",
        "isReserved": [],
        "missingContact": [contacts.PERSON_WITH_EMAIL],
    }


async def test_register__reserved_person__listed_as_reserved(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database
) -> None:
    await contacts.load(database)

    placed = await place(
        client,
        auth,
        email_order(
            recipients=[
                {"nationalIdentityNumber": contacts.PERSON_WITH_EMAIL},
                {"nationalIdentityNumber": contacts.PERSON_RESERVED},
            ]
        ),
    )

    assert placed["recipientLookup"] == {
        "status": "PartialSuccess",
        "isReserved": [contacts.PERSON_RESERVED],
        "missingContact": [],
    }


async def test_register__reserved_person_with_ignore_reservation__not_listed_as_reserved(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database
) -> None:
    await contacts.load(database)

    placed = await place(
        client,
        auth,
        email_order(
            recipients=[
                {"nationalIdentityNumber": contacts.PERSON_WITH_EMAIL},
                {"nationalIdentityNumber": contacts.PERSON_RESERVED},
            ],
            ignoreReservation=True,
        ),
    )

    assert placed["recipientLookup"] == {"status": "Success", "isReserved": [], "missingContact": []}


async def test_register__person_without_email_on_email_channel__missing_contact(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database
) -> None:
    await contacts.load(database)

    placed = await place(
        client,
        auth,
        email_order(
            recipients=[
                {"nationalIdentityNumber": contacts.PERSON_WITH_EMAIL},
                {"nationalIdentityNumber": contacts.PERSON_WITHOUT_EMAIL},
            ]
        ),
    )

    assert placed["recipientLookup"] == {
        "status": "PartialSuccess",
        "isReserved": [],
        "missingContact": [contacts.PERSON_WITHOUT_EMAIL],
    }


async def test_register__person_without_email_on_sms_channel__reachable(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database
) -> None:
    await contacts.load(database)

    placed = await place(
        client,
        auth,
        sms_order(recipients=[{"nationalIdentityNumber": contacts.PERSON_WITHOUT_EMAIL}]),
        "/orders/sms",
    )

    assert placed["recipientLookup"] == {"status": "Success", "isReserved": [], "missingContact": []}


async def test_get_order__person_recipients__show_whether_they_are_reserved(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database
) -> None:
    await contacts.load(database)
    order_id = await place_id(
        client,
        auth,
        email_order(
            recipients=[
                {"nationalIdentityNumber": contacts.PERSON_WITH_EMAIL},
                {"nationalIdentityNumber": contacts.PERSON_RESERVED},
                {"organizationNumber": contacts.ORGANIZATION},
            ]
        ),
    )

    body = (await client.get(f"{API}/orders/{order_id}", headers=auth)).json()

    assert body["recipients"] == [
        {"nationalIdentityNumber": contacts.PERSON_WITH_EMAIL, "isReserved": False},
        {"nationalIdentityNumber": contacts.PERSON_RESERVED, "isReserved": True},
        {"organizationNumber": contacts.ORGANIZATION},
    ]


async def test_find_orders__senders_reference_with_nul__bad_request(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await client.get(
        "/notifications/api/v1/orders", params={"sendersReference": "a\x00b"}, headers=auth
    )
    assert response.status_code == 400
    assert "sendersReference" in response.json()["errors"]
