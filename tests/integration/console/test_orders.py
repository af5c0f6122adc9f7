"""The console's notification order pages through HTTP, on SQLite and PostgreSQL: every creator's orders
filtered and paged, an order's request, status and notifications, and its cancellation by an admin
through the API's own rules, written to the audit trail."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from orderdesk.console import paging
from orderdesk.core.db import Database
from orderdesk.notifications.tasks.pipeline import NotificationPipeline
from tests.conftest import Clock, Tokens
from tests.factories.notifications import email_order, in_future
from tests.integration.console.reading import (
    assert_refused_page,
    audit_rows,
    every_page,
    linked_ids,
    next_url,
    pages,
)
from tests.support.console import csrf_of
from tests.support.notifications_api import API, place, processing_status

ORDERS = "/console/orders"
CANCEL_BUTTON = "Cancel this order"
NO_SUCH_ORDER = "No order matching the provided id was found."


@pytest.mark.usefixtures("viewer")
async def test_orders__two_creators__both_listed_newest_first_with_type_and_generation(
    client: httpx.AsyncClient, clock: Clock, auth: dict[str, str], tokens: Tokens
) -> None:
    by_ttd = await place(client, auth, "/orders/email", email_order(sendersReference="ttd-1"))
    clock.advance(timedelta(seconds=1))
    by_skd = await place(client, tokens.bearer("skd"), "/orders/email", email_order(sendersReference="skd-1"))

    listed = await client.get(ORDERS)

    assert linked_ids(listed, ORDERS) == [by_skd, by_ttd]
    assert '<td class="creator">skd</td>' in listed.text
    assert '<td class="creator">ttd</td>' in listed.text
    assert "<td>Notification</td>" in listed.text
    assert "<td>v1</td>" in listed.text
    assert '<td class="status">Registered</td>' in listed.text


@pytest.mark.usefixtures("viewer")
async def test_orders__an_order_chain__its_main_and_reminder_listed_as_the_current_generation(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    recipient = {
        "recipientEmail": {
            "emailAddress": "ola@example.com",
            "emailSettings": {"subject": "Hi", "body": "Hi"},
        }
    }
    chain = {
        "idempotencyId": "chain-1",
        "sendersReference": "chain-ref",
        "requestedSendTime": in_future(),
        "recipient": recipient,
        "reminders": [{"delayDays": 7, "recipient": recipient}],
    }
    answer = await client.post(f"{API}/future/orders", json=chain, headers=auth)
    assert answer.status_code == 201, answer.text

    listed = await client.get(ORDERS, params={"reference": "chain-ref"})

    assert len(linked_ids(listed, ORDERS)) == 1  # the reminder has no reference of its own
    assert "<td>current API</td>" in listed.text
    main = await client.get(f"{ORDERS}/{answer.json()['notification']['shipmentId']}")
    assert "current API, chain" in main.text
    everything = await client.get(ORDERS)
    assert "<td>Reminder</td>" in everything.text


@pytest.mark.usefixtures("viewer")
async def test_orders__filters__narrow_the_list(
    client: httpx.AsyncClient, clock: Clock, auth: dict[str, str], tokens: Tokens
) -> None:
    clock.stop()
    first = await place(client, auth, "/orders/email", email_order(sendersReference="a"))
    clock.advance(timedelta(hours=1))
    later = in_future(hours=3)  # the cancellation deadline still far away once the clock moved
    second = await place(
        client, auth, "/orders/email", email_order(sendersReference="b", requestedSendTime=later)
    )
    by_skd = await place(client, tokens.bearer("skd"), "/orders/email", email_order(sendersReference="a"))
    assert (await client.put(f"{API}/orders/{second}/cancel", headers=auth)).status_code == 200
    between = (clock() - timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M")

    async def listed(**params: str) -> set[str]:
        return set(linked_ids(await client.get(ORDERS, params=params), ORDERS))

    assert await listed() == {first, second, by_skd}
    assert await listed(creator="ttd") == {first, second}
    assert await listed(creator="skd") == {by_skd}
    assert await listed(status="Cancelled") == {second}
    assert await listed(status="Registered", creator="ttd") == {first}
    assert await listed(reference="a") == {first, by_skd}
    assert await listed(reference="a", creator="ttd") == {first}
    assert await listed(created_before=between) == {first}
    assert await listed(created_from=between) == {second, by_skd}
    assert await listed(created_from=between, status="", creator="") == {second, by_skd}  # blank: any
    assert await listed(creator="nobody") == set()


@pytest.mark.usefixtures("viewer")
async def test_orders__paged__every_order_once_across_the_pages(
    client: httpx.AsyncClient,
    clock: Clock,
    auth: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(paging, "PAGE_SIZE", 2)
    clock.stop()  # several orders created at one instant: the id orders them
    placed = [await place(client, auth, "/orders/email", email_order()) for _ in range(3)]
    clock.advance(timedelta(seconds=1))
    placed += [await place(client, auth, "/orders/email", email_order()) for _ in range(2)]

    shown = await every_page(client, f"{ORDERS}?creator=ttd", ORDERS)

    assert sorted(shown) == sorted(placed)  # each once: no repeat, no gap
    assert set(shown[:2]) == set(placed[3:])  # newest first
    first = await client.get(ORDERS, params={"creator": "ttd"})
    assert len(linked_ids(first, ORDERS)) == 2
    assert "creator=ttd" in (next_url(first) or "")  # the filter kept from page to page
    second = await client.get(next_url(first) or "")
    assert 'href="/console/orders?creator=ttd">First page' in second.text


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"status": "Sent"}, "status"),
        ({"created_from": "yesterday"}, "created_from"),
        ({"created_before": "2026-13-01"}, "created_before"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": paging.encode_cursor(("2026-12-07", "x"))}, "cursor"),
        ({"cursor": paging.encode_cursor((datetime(2026, 12, 7, tzinfo=UTC), "x"))}, "cursor"),
        ({"creator": "ttd\x00"}, "creator"),
        ({"reference": "r" * 501}, "reference"),
    ],
)
@pytest.mark.usefixtures("viewer")
async def test_orders__bad_filter__400_page_naming_it(
    client: httpx.AsyncClient, params: dict[str, str], named: str
) -> None:
    assert_refused_page(await client.get(ORDERS, params=params), 400, f"{named}: ")


@pytest.mark.usefixtures("viewer")
async def test_order_page__request_escaped_and_notifications_reaching_a_final_status(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    pipeline: NotificationPipeline,
) -> None:
    body = email_order(
        requestedSendTime=None,
        sendersReference="ref-<b>",
        recipients=[{"emailAddress": "ola@example.com"}, {"emailAddress": "kari@example.com"}],
        subject="<script>alert(1)</script>",
        body="Hello & welcome",
    )
    order_id = await place(client, auth, "/orders/email", body)
    before = await client.get(f"{ORDERS}/{order_id}")
    assert "None yet" in before.text

    await pipeline.run_until_idle()
    shown = await client.get(f"{ORDERS}/{order_id}")

    assert shown.status_code == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown.text
    assert "<script>" not in shown.text
    assert "Hello &amp; welcome" in shown.text
    assert "ref-&lt;b&gt;" in shown.text
    assert '<td class="recipients">2, given by <code>emailAddress</code></td>' in shown.text
    assert '<strong class="status">Completed</strong>' in shown.text
    assert "Order_Completed" in shown.text
    for address in ("ola@example.com", "kari@example.com"):
        assert f'<td class="destination">{address}</td>' in shown.text
    assert shown.text.count('<td class="status">Delivered</td>') == 2


@pytest.mark.usefixtures("viewer")
async def test_order_page__notifications_paged__each_once(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    pipeline: NotificationPipeline,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(paging, "PAGE_SIZE", 2)
    addresses = [f"person{number}@example.com" for number in range(5)]
    recipients = [{"emailAddress": address} for address in addresses]
    order_id = await place(
        client, auth, "/orders/email", email_order(requestedSendTime=None, recipients=recipients)
    )
    await pipeline.run_until_idle()

    shown = [
        re.findall(r'<td class="destination">([^<]+)</td>', page.text)
        for page in await pages(client, f"{ORDERS}/{order_id}")
    ]
    assert [len(items) for items in shown] == [2, 2, 1]
    assert sorted(address for items in shown for address in items) == addresses


@pytest.mark.parametrize("order_id", ["00000000-0000-0000-0000-000000000000", "not-an-id"])
@pytest.mark.usefixtures("viewer")
async def test_order_page__unknown_or_invalid_id__404_page(client: httpx.AsyncClient, order_id: str) -> None:
    assert_refused_page(await client.get(f"{ORDERS}/{order_id}"), 404, NO_SUCH_ORDER)


async def test_order_pages__without_a_session__303_to_sign_in(client: httpx.AsyncClient) -> None:
    for path in (ORDERS, f"{ORDERS}/00000000-0000-0000-0000-000000000000"):
        answer = await client.get(path)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/console/sign-in"


@pytest.mark.usefixtures("admin")
async def test_cancel__scheduled_order__the_api_answers_cancelled__audited(
    client: httpx.AsyncClient, database: Database, auth: dict[str, str]
) -> None:
    order_id = await place(client, auth, "/orders/email", email_order(requestedSendTime=in_future(hours=2)))
    shown = await client.get(f"{ORDERS}/{order_id}")
    assert CANCEL_BUTTON in shown.text

    answer = await client.post(f"{ORDERS}/{order_id}/cancel", data={"csrf_token": csrf_of(shown)})

    assert answer.status_code == 303
    assert answer.headers["location"] == f"{ORDERS}/{order_id}?cancelled=1"
    after = await client.get(answer.headers["location"])
    assert "The order was cancelled." in after.text
    assert CANCEL_BUTTON not in after.text
    assert await processing_status(client, auth, order_id) == "Cancelled"
    assert await audit_rows(database) == [("admin@example.org", "cancel", "notification_order", order_id)]


@pytest.mark.usefixtures("admin")
async def test_cancel__already_processed__409_page_with_the_reason__nothing_changed(
    client: httpx.AsyncClient,
    database: Database,
    auth: dict[str, str],
    pipeline: NotificationPipeline,
) -> None:
    order_id = await place(client, auth, "/orders/email", email_order(requestedSendTime=None))
    await pipeline.run_until_idle()
    shown = await client.get(f"{ORDERS}/{order_id}")
    assert CANCEL_BUTTON not in shown.text

    answer = await client.post(f"{ORDERS}/{order_id}/cancel", data={"csrf_token": csrf_of(shown)})

    assert_refused_page(answer, 409, "The order cannot be cancelled: processing has started")
    assert await processing_status(client, auth, order_id) == "Completed"
    assert await audit_rows(database) == []


@pytest.mark.usefixtures("admin")
async def test_cancel__send_time_too_close__409_page_with_the_reason(
    client: httpx.AsyncClient, clock: Clock, auth: dict[str, str]
) -> None:
    order_id = await place(client, auth, "/orders/email", email_order(requestedSendTime=in_future(hours=1)))
    clock.advance(timedelta(minutes=57))
    shown = await client.get(f"{ORDERS}/{order_id}")

    answer = await client.post(f"{ORDERS}/{order_id}/cancel", data={"csrf_token": csrf_of(shown)})

    assert_refused_page(answer, 409, "less than five minutes away")
    assert await processing_status(client, auth, order_id) == "Registered"


@pytest.mark.usefixtures("viewer")
async def test_cancel__viewer__no_button__a_forged_post_403_and_nothing_cancelled(
    client: httpx.AsyncClient, database: Database, auth: dict[str, str]
) -> None:
    order_id = await place(client, auth, "/orders/email", email_order())
    shown = await client.get(f"{ORDERS}/{order_id}")
    assert CANCEL_BUTTON not in shown.text

    answer = await client.post(f"{ORDERS}/{order_id}/cancel", data={"csrf_token": csrf_of(shown)})

    assert answer.status_code == 403
    assert await processing_status(client, auth, order_id) == "Registered"
    assert await audit_rows(database) == []


@pytest.mark.parametrize("token", [None, "forged"])
@pytest.mark.usefixtures("admin")
async def test_cancel__admin_without_the_csrf_token__403_and_nothing_cancelled(
    client: httpx.AsyncClient, database: Database, auth: dict[str, str], token: str | None
) -> None:
    order_id = await place(client, auth, "/orders/email", email_order())

    answer = await client.post(f"{ORDERS}/{order_id}/cancel", data={"csrf_token": token} if token else {})

    assert answer.status_code == 403
    assert "security token is missing or wrong" in answer.text
    assert await processing_status(client, auth, order_id) == "Registered"
    assert await audit_rows(database) == []


@pytest.mark.usefixtures("admin")
async def test_cancel__unknown_or_invalid_order__404_page(client: httpx.AsyncClient) -> None:
    shown = await client.get(ORDERS)

    for order_id in ("00000000-0000-0000-0000-000000000000", "not-an-id"):
        answer = await client.post(f"{ORDERS}/{order_id}/cancel", data={"csrf_token": csrf_of(shown)})
        assert_refused_page(answer, 404, NO_SUCH_ORDER)
