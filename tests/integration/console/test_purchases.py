"""The console's purchase orders through HTTP, on SQLite and PostgreSQL: every client's orders listed,
filtered and paged; an order's page with its lines and callback; a failing callback on the failures
page, sent again by an admin (due at once, audited) and delivered once the receiver answers; the
refusal of an order without a callback URL; a viewer who can change nothing."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest

from orderdesk.console import paging
from orderdesk.console.models import Role
from orderdesk.core.db import Database
from orderdesk.purchases.tasks.callbacks import CallbackWorker
from orderdesk.purchases.tasks.fulfilment import FulfilmentWorker
from tests.conftest import Clock
from tests.integration.console.reading import assert_refused_page, audit_rows, every_page, linked_ids
from tests.integration.purchases import conftest as purchase_fixtures
from tests.support.console import csrf_of, post_form, signed_in
from tests.support.http_stub import HttpStub, http_stub
from tests.support.purchases_api import Caller, fulfil, order_body, order_status, register, register_caller

# The purchase tests' own fixtures (a registered client, the workers stepped by hand), as they are:
# pytest finds the fixtures a test module holds.
caller = purchase_fixtures.caller
fulfilment = purchase_fixtures.fulfilment
callbacks = purchase_fixtures.callbacks

PAGES = "/console/purchases"


async def send_again(client: httpx.AsyncClient, order_id: int) -> httpx.Response:
    """Post the "send the callback again" form from the order's page, as the admin's browser does."""
    return await post_form(client, f"{PAGES}/{order_id}", f"{PAGES}/{order_id}/callback")


async def failing_callback(
    client: httpx.AsyncClient,
    caller: Caller,
    fulfilment: FulfilmentWorker,
    callbacks: CallbackWorker,
    stub: HttpStub,
) -> int:
    """An order processed, whose callback's first call `stub` answered with a 500."""
    order_id = await register(client, caller, order_body())
    await fulfil(client, caller, order_id, stub.answer("/cb", 500))
    await fulfilment.step()
    await callbacks.step_and_settle()
    return order_id


async def test_list__every_clients_orders_newest_first__filtered_by_client_and_status(
    client: httpx.AsyncClient,
    database: Database,
    clock: Clock,
    caller: Caller,
    fulfilment: FulfilmentWorker,
) -> None:
    other = await register_caller(client, database, "kiosk")
    first = await register(client, caller, order_body())
    await fulfil(client, caller, first)
    await fulfilment.step()
    second = await register(client, other, order_body())
    await signed_in(client, database, clock, "viewer@example.org", Role.VIEWER)

    listed = await client.get(PAGES)
    by_client = await client.get(PAGES, params={"client": other.client_id})
    by_status = await client.get(PAGES, params={"status": "processed"})

    assert listed.status_code == 200
    assert linked_ids(listed, PAGES) == [str(second), str(first)]
    assert "shop" in listed.text
    assert "kiosk" in listed.text
    assert linked_ids(by_client, PAGES) == [str(second)]
    assert linked_ids(by_status, PAGES) == [str(first)]


async def test_list__paged_with_a_cursor__no_order_twice_none_left_out(
    client: httpx.AsyncClient,
    database: Database,
    clock: Clock,
    caller: Caller,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    placed = [await register(client, caller, order_body(externalOrderId=f"x{n}")) for n in range(5)]
    await signed_in(client, database, clock, "viewer@example.org", Role.VIEWER)
    monkeypatch.setattr(paging, "PAGE_SIZE", 2)

    assert await every_page(client, PAGES, PAGES) == [str(order_id) for order_id in reversed(placed)]
    assert await every_page(client, f"{PAGES}?status=preliminary", PAGES) == [
        str(order_id) for order_id in reversed(placed)
    ]


@pytest.mark.usefixtures("viewer")
@pytest.mark.parametrize(
    ("query", "named"),
    [
        ({"status": "shipped"}, "status"),
        ({"cursor": "bm90IG1pbmU"}, "cursor"),
        ({"client": "c" * 65}, "client"),
    ],
)
async def test_list__bad_filter__400_page_naming_it(
    client: httpx.AsyncClient, query: dict[str, str], named: str
) -> None:
    answer = await client.get(PAGES, params=query)

    assert_refused_page(answer, 400, f"{named}:")


async def test_order_page__lines_and_callback(
    client: httpx.AsyncClient,
    database: Database,
    clock: Clock,
    caller: Caller,
    fulfilment: FulfilmentWorker,
    callbacks: CallbackWorker,
) -> None:
    order_id = await register(client, caller, order_body(externalOrderId="web-17"))
    with http_stub() as stub:
        url = stub.answer("/cb")
        await fulfil(client, caller, order_id, url)
        await fulfilment.step()
        await callbacks.step_and_settle()
    await signed_in(client, database, clock, "viewer@example.org", Role.VIEWER)

    answer = await client.get(f"{PAGES}/{order_id}")

    assert answer.status_code == 200
    assert "web-17" in answer.text
    assert "processed" in answer.text
    assert "Daily paper, one month" in answer.text
    assert "Nordmann" in answer.text  # the payer
    assert url in answer.text
    assert '<td class="callback-state">delivered</td>' in answer.text


@pytest.mark.usefixtures("viewer")
@pytest.mark.parametrize("order_id", ["999999", "abc", "3000000000"])
async def test_order_page__unknown_or_not_a_number__404_page(
    client: httpx.AsyncClient, order_id: str
) -> None:
    answer = await client.get(f"{PAGES}/{order_id}")

    assert_refused_page(answer, 404, "Not Found")


async def test_failing_callback__on_the_failures_page__sent_again__delivered_once_the_receiver_answers(
    client: httpx.AsyncClient,
    database: Database,
    clock: Clock,
    caller: Caller,
    fulfilment: FulfilmentWorker,
    callbacks: CallbackWorker,
) -> None:
    with http_stub() as stub:
        order_id = await failing_callback(client, caller, fulfilment, callbacks, stub)
        for _ in range(3):  # every attempt the worker has fails: abandoned
            clock.advance(timedelta(minutes=5))
            await callbacks.step_and_settle()
        assert len(stub.requests) == 3
        await signed_in(client, database, clock, "admin@example.org", Role.ADMIN)

        failures = await client.get("/console/failures")
        assert f'href="{PAGES}/{order_id}"' in failures.text
        assert "HTTP 500" in failures.text
        assert "abandoned" in failures.text
        listed = await client.get("/console/failures/callbacks")
        assert linked_ids(listed, PAGES) == [str(order_id)]

        stub.answer("/cb", 200)
        sent = await send_again(client, order_id)
        assert sent.status_code == 303
        assert sent.headers["location"] == f"{PAGES}/{order_id}"
        order_page = await client.get(f"{PAGES}/{order_id}")
        assert '<td class="callback-state">pending</td>' in order_page.text

        await callbacks.step_and_settle()  # due now: the clock has not moved

        assert len(stub.requests) == 4
        assert stub.requests[-1].endswith(f"fulfillmentStatus=success&orderId={order_id}")
    order_page = await client.get(f"{PAGES}/{order_id}")
    assert '<td class="callback-state">delivered</td>' in order_page.text
    assert linked_ids(await client.get("/console/failures/callbacks"), PAGES) == []
    assert (await order_status(client, caller, order_id))["orderStatus"] == "processed"
    assert await audit_rows(database) == [
        ("admin@example.org", "send_callback_again", "purchase_order", str(order_id))
    ]


@pytest.mark.parametrize(
    ("callback_url", "processed", "message"),
    [
        ("http://127.0.0.1:9/cb", False, "The order is confirmed: its callback is made once fulfilment"),
        (None, True, "The order has no callback URL"),
    ],
    ids=["not-yet-processed", "without-a-callback-url"],
)
async def test_send_again__no_callback_to_make__409_message_on_the_page__not_audited(
    client: httpx.AsyncClient,
    database: Database,
    clock: Clock,
    caller: Caller,
    fulfilment: FulfilmentWorker,
    callback_url: str | None,
    processed: bool,
    message: str,
) -> None:
    order_id = await register(client, caller, order_body())
    await fulfil(client, caller, order_id, callback_url)
    if processed:
        await fulfilment.step()
    await signed_in(client, database, clock, "admin@example.org", Role.ADMIN)

    refused = await send_again(client, order_id)

    assert refused.status_code == 409
    assert 'class="error"' in refused.text
    assert message in refused.text
    assert f"Purchase order {order_id}" in refused.text  # the order's own page, with the message
    assert await audit_rows(database) == []


@pytest.mark.usefixtures("admin")
async def test_send_again__unknown_order__404_page(client: httpx.AsyncClient, database: Database) -> None:
    form = {"csrf_token": csrf_of(await client.get(PAGES))}

    assert (await client.post(f"{PAGES}/4242/callback", data=form)).status_code == 404
    assert (await client.post(f"{PAGES}/abc/callback", data=form)).status_code == 404
    assert await audit_rows(database) == []


async def test_viewer__no_send_again_button__a_forged_post_403_and_nothing_changed(
    client: httpx.AsyncClient,
    database: Database,
    clock: Clock,
    caller: Caller,
    fulfilment: FulfilmentWorker,
    callbacks: CallbackWorker,
) -> None:
    with http_stub() as stub:
        order_id = await failing_callback(client, caller, fulfilment, callbacks, stub)
    await signed_in(client, database, clock, "viewer@example.org", Role.VIEWER)
    before = await client.get(f"{PAGES}/{order_id}")

    forged = await client.post(f"{PAGES}/{order_id}/callback", data={"csrf_token": csrf_of(before)})

    assert f'action="{PAGES}/{order_id}/callback"' not in before.text
    assert forged.status_code == 403
    after = await client.get(f"{PAGES}/{order_id}")
    assert _callback_rows(after) == _callback_rows(before)
    assert await audit_rows(database) == []


def _callback_rows(page: httpx.Response) -> str:
    """The callback section of an order's page."""
    found = re.search(r"<h2>Callback</h2>.*?</table>", page.text, re.S)
    assert found
    return found.group(0)


async def test_pages__without_a_session__303_to_sign_in(client: httpx.AsyncClient) -> None:
    for path in (PAGES, f"{PAGES}/1", "/console/failures", "/console/failures/callbacks"):
        answer = await client.get(path)
        assert (answer.status_code, answer.headers["location"]) == (303, "/console/sign-in")
    assert (await client.post(f"{PAGES}/1/callback")).headers["location"] == "/console/sign-in"
