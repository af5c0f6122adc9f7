"""The client-mode flow of the original's order guide: register an order, see it `preliminary`,
complete it by the fulfilment API, see it `confirmed`, then `processed` (or `failed`) once the worker
has run, and hear the outcome at the callback URL on a real local HTTP server."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx

from orderdesk.purchases.tasks.callbacks import CallbackWorker
from orderdesk.purchases.tasks.fulfilment import FulfilmentWorker
from tests.conftest import Clock
from tests.support.http_stub import http_stub
from tests.support.purchases_api import (
    Caller,
    fulfil,
    order_body,
    order_status,
    register,
)


def callback_query(path: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(path).query)


async def test_invoice_order__fulfilled__preliminary_confirmed_processed_and_called_back(
    client: httpx.AsyncClient, caller: Caller, fulfilment: FulfilmentWorker, callbacks: CallbackWorker
) -> None:
    order_id = await register(client, caller, order_body(externalOrderId="2342"))

    assert await order_status(client, caller, order_id) == {
        "orderId": order_id,
        "externalOrderId": "2342",
        "orderTime": 1_559_372_400_000,
        "orderStatus": "preliminary",
        "orderAmount": 149,
        "customerNumber": None,
    }
    with http_stub() as stub:
        url = stub.answer("/done", 200, "ok")
        assert await fulfil(client, caller, order_id, url) == {
            "fulfillmentStatus": "OK",
            "orderId": order_id,
            "errorMessage": None,
        }
        assert (await order_status(client, caller, order_id))["orderStatus"] == "confirmed"

        await fulfilment.step()
        processed = await order_status(client, caller, order_id)
        await callbacks.step_and_settle()

    assert processed["orderStatus"] == "processed"
    assert type(processed["orderAmount"]) is int  # 149, as the original writes whole amounts
    assert isinstance(processed["customerNumber"], int)
    assert len(stub.requests) == 1
    assert callback_query(stub.requests[0]) == {"fulfillmentStatus": ["success"], "orderId": [str(order_id)]}


async def test_order_of_an_unknown_product__fulfilled__failed_and_called_back_failed(
    client: httpx.AsyncClient, caller: Caller, fulfilment: FulfilmentWorker, callbacks: CallbackWorker
) -> None:
    lines = [{"productSpecType": "coupon", "productSpecCode": "XX", "productSpecNo": 1}]
    order_id = await register(client, caller, order_body(orderLines=lines))

    with http_stub() as stub:
        url = stub.answer("/hook", 204)
        await fulfil(client, caller, order_id, f"{url}?shop=1")
        await fulfilment.step()
        status = await order_status(client, caller, order_id)
        await callbacks.step_and_settle()

    assert status["orderStatus"] == "failed"
    assert status["customerNumber"] is None
    assert callback_query(stub.requests[0]) == {
        "shop": ["1"],
        "fulfillmentStatus": ["failed"],
        "orderId": [str(order_id)],
    }


async def test_order_whose_amount_is_not_the_lines_total__processed__failed(
    client: httpx.AsyncClient, caller: Caller, fulfilment: FulfilmentWorker
) -> None:
    order_id = await register(client, caller, order_body(orderAmount=100))

    await fulfil(client, caller, order_id)
    await fulfilment.step()

    assert (await order_status(client, caller, order_id))["orderStatus"] == "failed"


async def test_lines_of_every_type_at_catalogue_prices__processed(
    client: httpx.AsyncClient, caller: Caller, fulfilment: FulfilmentWorker
) -> None:
    lines = [
        {"productSpecType": "coupon", "productSpecCode": "DT", "productSpecNo": 3011, "unitPrice": 149},
        {"productSpecType": "product", "product": "TOTE", "quantity": 2},
        {"productSpecType": "issue", "productSpecCode": "DT", "productSpecNo": 3011, "product": "2026-48"},
        {"productSpecType": "article", "articleDetail": {"product": "ART-1", "articleRef": "r"}},
    ]
    order_id = await register(client, caller, order_body(orderLines=lines, orderAmount=149 + 199 + 39 + 10))

    await fulfil(client, caller, order_id)
    await fulfilment.step()

    assert (await order_status(client, caller, order_id))["orderStatus"] == "processed"


async def test_line_price_other_than_the_catalogue__processed__failed(
    client: httpx.AsyncClient, caller: Caller, fulfilment: FulfilmentWorker
) -> None:
    lines = [{"productSpecType": "product", "product": "TOTE", "unitPrice": 1}]
    order_id = await register(client, caller, order_body(orderLines=lines, orderAmount=1))

    await fulfil(client, caller, order_id)
    await fulfilment.step()

    assert (await order_status(client, caller, order_id))["orderStatus"] == "failed"


async def test_two_orders_of_one_payer__processed__one_customer(
    client: httpx.AsyncClient, caller: Caller, fulfilment: FulfilmentWorker
) -> None:
    first = await register(client, caller, order_body())
    second = await register(client, caller, order_body())
    await fulfil(client, caller, first)
    await fulfil(client, caller, second)

    await fulfilment.step()

    first_status = await order_status(client, caller, first)
    second_status = await order_status(client, caller, second)
    assert first_status["customerNumber"] == second_status["customerNumber"] is not None


async def test_payer_with_an_unknown_customer_number__processed__failed(
    client: httpx.AsyncClient, caller: Caller, fulfilment: FulfilmentWorker
) -> None:
    order_id = await register(client, caller, order_body(payer={"customerNumber": 999_999}))

    await fulfil(client, caller, order_id)
    await fulfilment.step()

    status = await order_status(client, caller, order_id)
    assert status["orderStatus"] == "failed"
    # The same answer as for another client's customer (tests/security/test_purchase_customers.py).
    answer = await fulfil(client, caller, order_id)
    assert answer["errorMessage"] == (
        "The order has failed: payer.customerNumber is not a customer of this client."
    )


async def test_payer_with_a_known_customer_number__that_customer_from_registration_on(
    client: httpx.AsyncClient, caller: Caller, fulfilment: FulfilmentWorker
) -> None:
    first = await register(client, caller, order_body())
    await fulfil(client, caller, first)
    await fulfilment.step()
    number = (await order_status(client, caller, first))["customerNumber"]

    second = await register(client, caller, order_body(payer={"customerNumber": number}))
    assert (await order_status(client, caller, second))["customerNumber"] == number
    await fulfil(client, caller, second)
    await fulfilment.step()

    assert (await order_status(client, caller, second))["customerNumber"] == number


async def test_card_payment_not_prepaid__fulfilled__error_and_still_preliminary(
    client: httpx.AsyncClient, caller: Caller
) -> None:
    order_id = await register(client, caller, order_body(paymentMethod="creditcardPayex"))

    answer = await fulfil(client, caller, order_id)

    assert answer["fulfillmentStatus"] == "ERROR"
    assert "creditcardPayex" in answer["errorMessage"]
    assert (await order_status(client, caller, order_id))["orderStatus"] == "preliminary"


async def test_prepaid_card_payment__fulfilled__confirmed(client: httpx.AsyncClient, caller: Caller) -> None:
    order_id = await register(client, caller, order_body(paymentMethod="creditcardPayex", prepaid=True))

    assert (await fulfil(client, caller, order_id))["fulfillmentStatus"] == "OK"
    assert (await order_status(client, caller, order_id))["orderStatus"] == "confirmed"


async def test_fulfilment_repeated__ok_and_processed_once(
    client: httpx.AsyncClient, caller: Caller, fulfilment: FulfilmentWorker
) -> None:
    order_id = await register(client, caller, order_body())
    await fulfil(client, caller, order_id)
    await fulfilment.step()

    again = await fulfil(client, caller, order_id)

    assert again["fulfillmentStatus"] == "OK"
    assert (await order_status(client, caller, order_id))["orderStatus"] == "processed"


async def test_failed_order__fulfilled_again__error_naming_the_reason(
    client: httpx.AsyncClient, caller: Caller, fulfilment: FulfilmentWorker
) -> None:
    order_id = await register(client, caller, order_body(orderAmount=1))
    await fulfil(client, caller, order_id)
    await fulfilment.step()

    again = await fulfil(client, caller, order_id)

    assert again["fulfillmentStatus"] == "ERROR"
    assert "orderAmount" in again["errorMessage"]


async def test_callback_server_failing__retried_with_back_off_until_it_answers(
    client: httpx.AsyncClient,
    caller: Caller,
    fulfilment: FulfilmentWorker,
    callbacks: CallbackWorker,
    clock: Clock,
) -> None:
    order_id = await register(client, caller, order_body())
    with http_stub() as stub:
        url = stub.answer("/cb", 503)
        await fulfil(client, caller, order_id, url)
        await fulfilment.step()
        await callbacks.step_and_settle()
        await callbacks.step_and_settle()  # not due yet: the back-off holds it
        assert len(stub.requests) == 1

        stub.answer("/cb", 200)
        clock.advance(timedelta(seconds=11))
        await callbacks.step_and_settle()
        clock.advance(timedelta(hours=1))
        await callbacks.step_and_settle()  # delivered: never called again

    assert len(stub.requests) == 2


async def test_callback_server_never_answering__given_up_after_the_attempts(
    client: httpx.AsyncClient,
    caller: Caller,
    fulfilment: FulfilmentWorker,
    callbacks: CallbackWorker,
    clock: Clock,
) -> None:
    order_id = await register(client, caller, order_body())
    with http_stub() as stub:
        url = stub.answer("/cb", 500)
        await fulfil(client, caller, order_id, url)
        await fulfilment.step()
        for _ in range(6):
            await callbacks.step_and_settle()
            clock.advance(timedelta(minutes=5))

    assert len(stub.requests) == 3  # the fixture's worker makes three attempts
    assert (await order_status(client, caller, order_id))["orderStatus"] == "processed"


async def test_callback_url_with_a_query_of_its_own__kept_as_sent(
    client: httpx.AsyncClient, caller: Caller, fulfilment: FulfilmentWorker, callbacks: CallbackWorker
) -> None:
    order_id = await register(client, caller, order_body())
    with http_stub() as stub:
        url = stub.answer("/cb")
        await fulfil(client, caller, order_id, f"{url}?q=%7E&flag")
        await fulfilment.step()
        await callbacks.step_and_settle()

    assert stub.requests == [f"/cb?q=%7E&flag&fulfillmentStatus=success&orderId={order_id}"]
