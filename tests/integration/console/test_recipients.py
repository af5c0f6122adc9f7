"""The console's recipient look-up through HTTP, on SQLite and PostgreSQL: every notification to one
person, organisation, e-mail address or mobile number, whoever ordered it, newest first and paged."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest

from orderdesk.console import paging
from orderdesk.core.db import Database
from orderdesk.notifications.tasks.pipeline import NotificationPipeline
from tests.conftest import Clock, Tokens
from tests.factories import contacts
from tests.factories.notifications import email_order, order, sms_order
from tests.integration.console.reading import assert_refused_page, linked_ids, pages
from tests.integration.console.test_orders import ORDERS
from tests.support.notifications_api import DAYTIME, place

RECIPIENTS = "/console/recipients"
PERSON = {"nationalIdentityNumber": contacts.PERSON_WITH_EMAIL}


@pytest.fixture(autouse=True)
async def register(database: Database, clock: Clock) -> None:
    """Contacts known to the register; the clock in the SMS window so SMS go out at once."""
    clock.set(DAYTIME)
    await contacts.load(database)


def found(page: httpx.Response) -> list[tuple[str, str, str]]:
    """Each notification found: its channel, where it went and who ordered it, in the order shown."""
    assert page.status_code == 200, page.text
    rows = re.findall(
        r'<td>(email|sms)</td>\s*<td class="destination">([^<]*)</td>.*?<td class="creator">([^<]*)</td>',
        page.text,
        re.DOTALL,
    )
    return [(channel, destination, creator) for channel, destination, creator in rows]


@pytest.mark.usefixtures("viewer")
async def test_lookup_by_nin__a_persons_notifications_from_two_creators__newest_first__linked(
    client: httpx.AsyncClient,
    clock: Clock,
    auth: dict[str, str],
    tokens: Tokens,
    pipeline: NotificationPipeline,
) -> None:
    by_ttd = await place(
        client, auth, "/orders/email", email_order(requestedSendTime=None, recipients=[PERSON])
    )
    clock.advance(timedelta(minutes=1))
    by_skd = await place(
        client, tokens.bearer("skd"), "/orders/sms", sms_order(requestedSendTime=None, recipients=[PERSON])
    )
    await place(client, auth, "/orders/email", email_order(requestedSendTime=None))  # to someone else
    await pipeline.run_until_idle()

    answer = await client.get(RECIPIENTS, params={"nin": contacts.PERSON_WITH_EMAIL})

    assert found(answer) == [("sms", "+4799999999", "skd"), ("email", "ola@example.com", "ttd")]
    assert linked_ids(answer, ORDERS) == [by_skd, by_ttd]
    assert answer.text.count('<td class="status">Delivered</td>') == 2


@pytest.mark.usefixtures("viewer")
async def test_lookup__by_address_number_or_organisation__as_the_api_stores_them(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    pipeline: NotificationPipeline,
) -> None:
    await place(client, auth, "/orders/email", email_order(requestedSendTime=None, recipients=[PERSON]))
    await place(client, auth, "/orders/sms", sms_order(requestedSendTime=None, recipients=[PERSON]))
    to_organization = [{"organizationNumber": contacts.ORGANIZATION}]
    await place(
        client, auth, "/orders/email", email_order(requestedSendTime=None, recipients=to_organization)
    )
    await pipeline.run_until_idle()

    async def lookup(**params: str) -> list[tuple[str, str, str]]:
        return found(await client.get(RECIPIENTS, params=params))

    assert await lookup(email="Ola@Example.com ") == [("email", "ola@example.com", "ttd")]
    assert await lookup(phone="+47 999 99 999") == [("sms", "+4799999999", "ttd")]
    assert await lookup(phone="0047-99999999") == [("sms", "+4799999999", "ttd")]
    assert await lookup(phone="99999999") == [("sms", "+4799999999", "ttd")]
    assert await lookup(org=contacts.ORGANIZATION) == [("email", "post@example.com", "ttd")]
    assert await lookup(nin=contacts.PERSON_UNKNOWN) == []
    assert (
        "No notification to them was found."
        in (await client.get(RECIPIENTS, params={"org": "999999999"})).text
    )


@pytest.mark.usefixtures("viewer")
async def test_lookup__paged_across_channels__each_notification_once(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    pipeline: NotificationPipeline,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(paging, "PAGE_SIZE", 2)
    both = order(
        requestedSendTime=None,
        notificationChannel="EmailAndSms",
        recipients=[PERSON],
        smsTemplate={"senderNumber": "Altinn", "body": "A text"},
    )
    for _ in range(2):  # an e-mail and an SMS at the same send time, twice
        await place(client, auth, "/orders", both)
    await place(client, auth, "/orders/email", email_order(requestedSendTime=None, recipients=[PERSON]))
    await pipeline.run_until_idle()

    read = await pages(client, f"{RECIPIENTS}?nin={contacts.PERSON_WITH_EMAIL}")

    assert [len(found(page)) for page in read] == [2, 2, 1]
    shown = [
        (row, link) for page in read for row, link in zip(found(page), linked_ids(page, ORDERS), strict=True)
    ]
    assert len(set(shown)) == 5
    assert sorted(row[0] for row, _link in shown) == ["email", "email", "email", "sms", "sms"]


@pytest.mark.usefixtures("viewer")
async def test_lookup__empty_form__the_form_without_results(client: httpx.AsyncClient) -> None:
    answer = await client.get(RECIPIENTS, params={"email": "", "nin": " "})

    assert answer.status_code == 200
    assert 'name="nin"' in answer.text
    assert "No notification to them was found." not in answer.text


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"nin": "1234"}, "nin"),
        ({"org": "31100017x"}, "org"),
        ({"email": "not an address"}, "email"),
        ({"phone": "+47 12"}, "phone"),
        ({"phone": "+4799999999\x00"}, "phone"),
        ({"nin": contacts.PERSON_WITH_EMAIL, "org": contacts.ORGANIZATION}, "org"),
        ({"nin": contacts.PERSON_WITH_EMAIL, "cursor": "garbage"}, "cursor"),
    ],
)
@pytest.mark.usefixtures("viewer")
async def test_lookup__bad_value__400_page_naming_the_field(
    client: httpx.AsyncClient, params: dict[str, str], named: str
) -> None:
    assert_refused_page(await client.get(RECIPIENTS, params=params), 400, f"{named}: ")


async def test_lookup__without_a_session__303_to_sign_in(client: httpx.AsyncClient) -> None:
    answer = await client.get(RECIPIENTS, params={"nin": contacts.PERSON_WITH_EMAIL})

    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/sign-in"
