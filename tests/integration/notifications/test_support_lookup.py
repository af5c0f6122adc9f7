"""The support look-up (`GET /future/dashboard/recipients/notifications/nin|orgnumber`): every
notification to one person or organisation, whoever ordered it, for support staff only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from orderdesk.auth.tokens import NOTIFICATIONS_SUPPORT_SCOPE
from orderdesk.core.db import Database
from orderdesk.notifications.tasks.pipeline import NotificationPipeline
from tests.conftest import Clock, Tokens
from tests.factories import contacts
from tests.factories.notifications import email_order, sms_order
from tests.support.notifications_api import API, DAYTIME, place

LOOKUP = f"{API}/future/dashboard/recipients/notifications"


@pytest.fixture(autouse=True)
async def register(database: Database, clock: Clock) -> None:
    """Contacts known to the register; the clock in the SMS window so SMS go out at once."""
    clock.set(DAYTIME)
    await contacts.load(database)


@pytest.fixture
def support(tokens: Tokens) -> dict[str, str]:
    """A support person's token: `orderdesk token --org digdir --scope altinn:notifications.support.admin`."""
    return tokens.bearer("digdir", (NOTIFICATIONS_SUPPORT_SCOPE,))


async def lookup(
    client: httpx.AsyncClient, headers: dict[str, str], kind: str = "nin", **params: Any
) -> list[dict[str, Any]]:
    response = await client.get(f"{LOOKUP}/{kind}", params=params, headers=headers)
    assert response.status_code == 200, response.text
    body: list[dict[str, Any]] = response.json()
    return body


async def test_lookup_by_nin__notifications_of_every_creator__newest_first(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    tokens: Tokens,
    support: dict[str, str],
    pipeline: NotificationPipeline,
    clock: Clock,
) -> None:
    person = {"nationalIdentityNumber": contacts.PERSON_WITH_EMAIL}
    by_ttd = await place(
        client, auth, "/orders/email", email_order(requestedSendTime=None, recipients=[person])
    )
    clock.advance(timedelta(minutes=1))
    by_skd = await place(
        client,
        tokens.bearer("skd"),
        "/orders/sms",
        sms_order(requestedSendTime=None, recipients=[person], sendersReference="skd-1"),
    )
    await place(client, auth, "/orders/email", email_order(requestedSendTime=None))  # someone else
    await pipeline.run_until_idle()

    found = await lookup(client, {**support, "NationalIdentityNumber": contacts.PERSON_WITH_EMAIL})

    assert [(f["shipmentId"], f["creator"], f["channel"]) for f in found] == [
        (by_skd, "skd", "SMS"),
        (by_ttd, "ttd", "Email"),
    ]
    sms, email = found
    assert (sms["destination"], sms["status"], sms["sendersReference"]) == (
        "+4799999999",
        "SMS_Delivered",
        "skd-1",
    )
    assert (email["destination"], email["status"]) == ("ola@example.com", "Email_Delivered")
    assert email["orderId"] == by_ttd  # a v1 order is an order of its own
    assert {"notificationId", "requestedSendTime", "created", "lastUpdate", "shipmentType"} <= email.keys()


async def test_lookup_by_org_number__the_organisations_notifications(
    client: httpx.AsyncClient, auth: dict[str, str], support: dict[str, str], pipeline: NotificationPipeline
) -> None:
    order_id = await place(
        client,
        auth,
        "/orders/email",
        email_order(requestedSendTime=None, recipients=[{"organizationNumber": contacts.ORGANIZATION}]),
    )
    await pipeline.run_until_idle()

    [found] = await lookup(client, {**support, "OrganizationNumber": contacts.ORGANIZATION}, "orgnumber")

    assert (found["shipmentId"], found["destination"]) == (order_id, "post@example.com")
    assert (
        await lookup(client, {**support, "OrganizationNumber": contacts.ORGANIZATION_UNKNOWN}, "orgnumber")
        == []
    )


async def test_lookup__window__only_orders_to_be_sent_in_it(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    support: dict[str, str],
    pipeline: NotificationPipeline,
    clock: Clock,
) -> None:
    person = {"nationalIdentityNumber": contacts.PERSON_WITH_EMAIL}
    await place(client, auth, "/orders/email", email_order(requestedSendTime=None, recipients=[person]))
    await pipeline.run_until_idle()
    headers = {**support, "NationalIdentityNumber": contacts.PERSON_WITH_EMAIL}
    sent_at = clock()

    assert len(await lookup(client, headers)) == 1
    assert await lookup(client, headers, to=(sent_at - timedelta(hours=1)).isoformat()) == []
    assert await lookup(client, headers, **{"from": (sent_at + timedelta(hours=1)).isoformat()}) == []
    clock.advance(timedelta(days=31))  # out of the default window, the last 30 days
    assert await lookup(client, headers) == []
    assert len(await lookup(client, headers, **{"from": (sent_at - timedelta(days=1)).isoformat()})) == 1


async def test_lookup__token_without_the_support_scope__forbidden__no_token__unauthorized(
    client: httpx.AsyncClient, auth: dict[str, str], tokens: Tokens
) -> None:
    person = {"NationalIdentityNumber": contacts.PERSON_WITH_EMAIL}

    assert (await client.get(f"{LOOKUP}/nin", headers={**auth, **person})).status_code == 403
    assert (
        await client.get(f"{LOOKUP}/nin", headers={**tokens.platform("ttd"), **person})
    ).status_code == 401
    assert (await client.get(f"{LOOKUP}/nin", headers=person)).status_code == 401


@pytest.mark.parametrize(
    ("kind", "headers", "params", "field"),
    [
        ("nin", {}, {}, "NationalIdentityNumber"),
        ("nin", {"NationalIdentityNumber": "1234567890"}, {}, "NationalIdentityNumber"),
        ("orgnumber", {}, {}, "OrganizationNumber"),
        ("orgnumber", {"OrganizationNumber": "31100017X"}, {}, "OrganizationNumber"),
        ("nin", {"NationalIdentityNumber": contacts.PERSON_WITH_EMAIL}, {"to": "2026-11-24T10:00:00"}, "to"),
        ("nin", {"NationalIdentityNumber": contacts.PERSON_WITH_EMAIL}, {"from": "yesterday"}, "from"),
    ],
)
async def test_lookup__missing_or_malformed_header_or_time__bad_request_naming_it(
    client: httpx.AsyncClient,
    support: dict[str, str],
    kind: str,
    headers: dict[str, str],
    params: dict[str, str],
    field: str,
) -> None:
    response = await client.get(f"{LOOKUP}/{kind}", params=params, headers={**support, **headers})

    assert response.status_code == 400
    assert field in response.json()["errors"]
