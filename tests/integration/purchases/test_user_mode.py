"""User mode: a logged-in customer lists their orders and searches one by orderId or
externalOrderId, with each line's invoice and delivery state; other people's orders stay unseen."""

from __future__ import annotations

from typing import Any

import httpx

from orderdesk.purchases.tasks.fulfilment import FulfilmentWorker
from tests.conftest import Tokens
from tests.support.purchases_api import CAPI, Caller, fulfil, order_body, register

OLA = "ola@example.com"


def payer(email: str) -> dict[str, Any]:
    return {"firstName": "A", "lastName": "Person", "emails": [email]}


async def test_processed_order__listed_for_its_payer(
    client: httpx.AsyncClient, caller: Caller, fulfilment: FulfilmentWorker, tokens: Tokens
) -> None:
    order_id = await register(
        client, caller, order_body(externalOrderId="web-1", payer=payer("Ola@Example.com"))
    )
    await fulfil(client, caller, order_id)
    await fulfilment.step()

    response = await client.get(f"{CAPI}/order/status", headers=tokens.customer(OLA))

    assert response.status_code == 200, response.text
    [order] = response.json()["orders"]
    assert order["orderId"] == order_id
    assert order["externalOrderId"] == "web-1"
    assert order["orderStatus"] == "processed"
    assert order["orderAmount"] == 149
    assert isinstance(order["customerNumber"], int)
    assert "x-ratelimit-remaining" in response.headers


async def test_search_by_external_order_id__lines_invoiced_and_delivered(
    client: httpx.AsyncClient, caller: Caller, fulfilment: FulfilmentWorker, tokens: Tokens
) -> None:
    lines = [
        {"productSpecType": "coupon", "productSpecCode": "DT", "productSpecNo": 3011},
        {"productSpecType": "product", "product": "TOTE", "quantity": 2},
    ]
    order_id = await register(
        client,
        caller,
        order_body(externalOrderId="web-2", orderLines=lines, orderAmount=348, payer=payer(OLA)),
    )
    await fulfil(client, caller, order_id)
    await fulfilment.step()

    response = await client.post(
        f"{CAPI}/order/status", json={"externalOrderId": "web-2"}, headers=tokens.customer(OLA)
    )

    assert response.status_code == 200, response.text
    [order] = response.json()["orders"]
    assert order["orderId"] == order_id
    coupon, tote = order["orderLines"]
    assert coupon["productId"] == "DT"
    assert coupon["description"] == "Daily paper, one month"
    assert coupon["invoiceLineAmount"] == 149
    assert tote["productId"] == "TOTE"
    assert tote["invoiceLineAmount"] == 199
    assert coupon["invoiceNumber"] == tote["invoiceNumber"] is not None
    assert isinstance(coupon["invoiceTime"], int)
    assert {line["invoiceStatus"] for line in order["orderLines"]} == {"invoiced"}
    assert {line["deliveryStatus"] for line in order["orderLines"]} == {"delivered"}


async def test_failed_order__searched_by_id__lines_cancelled_and_not_invoiced(
    client: httpx.AsyncClient, caller: Caller, fulfilment: FulfilmentWorker, tokens: Tokens
) -> None:
    first = await register(client, caller, order_body(payer=payer(OLA)))
    await fulfil(client, caller, first)
    await fulfilment.step()
    number = (await client.get(f"{CAPI}/order/status", headers=tokens.customer(OLA))).json()["orders"][0][
        "customerNumber"
    ]
    failing = await register(client, caller, order_body(orderAmount=1, payer={"customerNumber": number}))
    await fulfil(client, caller, failing)
    await fulfilment.step()

    response = await client.post(
        f"{CAPI}/order/status", json={"orderId": failing}, headers=tokens.customer(OLA)
    )

    [order] = response.json()["orders"]
    assert order["orderStatus"] == "failed"
    assert order["orderLines"] == [
        {
            "productId": "DT",
            "description": None,
            "invoiceNumber": None,
            "invoiceTime": None,
            "invoiceLineAmount": None,
            "invoiceStatus": "notInvoiced",
            "deliveryStatus": "cancelled",
        }
    ]


async def test_another_persons_order__neither_listed_nor_found(
    client: httpx.AsyncClient, caller: Caller, fulfilment: FulfilmentWorker, tokens: Tokens
) -> None:
    order_id = await register(client, caller, order_body(payer=payer("kari@example.com")))
    await fulfil(client, caller, order_id)
    await fulfilment.step()

    listed = await client.get(f"{CAPI}/order/status", headers=tokens.customer(OLA))
    searched = await client.post(
        f"{CAPI}/order/status", json={"orderId": order_id}, headers=tokens.customer(OLA)
    )

    assert listed.json() == {"orders": []}
    assert searched.status_code == 200
    assert searched.json() == {"orders": []}
