"""Finding 8: a purchase customer belongs to the client that created it. Another client naming it
(by e-mail, phone or customerNumber) gets a customer of its own or the same refusal as for a number
that exists nowhere, and never puts its order into that customer's history."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from orderdesk.core.db import Database
from orderdesk.purchases.tasks.fulfilment import FulfilmentWorker
from tests.conftest import Clock, Tokens
from tests.support.purchases_api import (
    CAPI,
    Caller,
    fulfil,
    load_catalog,
    order_body,
    order_status,
    register,
    register_caller,
)

OLA = "ola@example.com"


@pytest.fixture
def fulfilment(database: Database, clock: Clock) -> FulfilmentWorker:
    return FulfilmentWorker(database, clock, batch=50, poll_seconds=1.0)


@pytest.fixture
async def shops(client: httpx.AsyncClient, database: Database) -> tuple[Caller, Caller]:
    """Two clients of one installation: shop A (the attacker) and shop B (whose customer Ola is)."""
    await load_catalog(database)
    shop_a = await register_caller(client, database, "shop A")
    return shop_a, await register_caller(client, database, "shop B")


def payer(*, email: str | None = OLA, phone: str | None = None, name: str = "Ola") -> dict[str, Any]:
    found: dict[str, Any] = {"firstName": name, "lastName": "Nordmann", "postalCode": "0150"}
    if email:
        found["emails"] = [email]
    if phone:
        found["phoneNumbers"] = [phone]
    return found


async def processed_order(
    http: httpx.AsyncClient, shop: Caller, fulfilment: FulfilmentWorker, **overrides: Any
) -> dict[str, Any]:
    order_id = await register(http, shop, order_body(**overrides))
    await fulfil(http, shop, order_id)
    await fulfilment.step()
    return await order_status(http, shop, order_id)


async def user_orders(http: httpx.AsyncClient, tokens: Tokens, email: str = OLA) -> list[dict[str, Any]]:
    response = await http.get(f"{CAPI}/order/status", headers=tokens.customer(email))
    assert response.status_code == 200, response.text
    orders: list[dict[str, Any]] = response.json()["orders"]
    return orders


async def test_another_clients_customer_named_by_email__processed_as_a_new_customer_of_its_own(
    client: httpx.AsyncClient, shops: tuple[Caller, Caller], fulfilment: FulfilmentWorker
) -> None:
    shop_a, shop_b = shops
    of_b = await processed_order(client, shop_b, fulfilment, payer=payer())

    of_a = await processed_order(client, shop_a, fulfilment, payer=payer(name="Mallory"))

    assert of_a["orderStatus"] == of_b["orderStatus"] == "processed"
    assert isinstance(of_a["customerNumber"], int)
    assert of_a["customerNumber"] != of_b["customerNumber"]
    # Within one client the same e-mail is still one customer.
    again = await processed_order(client, shop_a, fulfilment, payer=payer())
    assert again["customerNumber"] == of_a["customerNumber"]


async def test_another_clients_customer_named_by_phone__processed_as_a_new_customer_of_its_own(
    client: httpx.AsyncClient, shops: tuple[Caller, Caller], fulfilment: FulfilmentWorker
) -> None:
    shop_a, shop_b = shops
    of_b = await processed_order(client, shop_b, fulfilment, payer=payer(email=None, phone="+4799999999"))

    of_a = await processed_order(client, shop_a, fulfilment, payer=payer(email=None, phone="99999999"))

    assert of_a["orderStatus"] == of_b["orderStatus"] == "processed"
    assert of_a["customerNumber"] != of_b["customerNumber"]


async def test_another_clients_customer_number__refused_exactly_as_a_number_that_exists_nowhere(
    client: httpx.AsyncClient,
    shops: tuple[Caller, Caller],
    fulfilment: FulfilmentWorker,
    tokens: Tokens,
) -> None:
    shop_a, shop_b = shops
    of_b = await processed_order(client, shop_b, fulfilment, payer=payer())
    number = of_b["customerNumber"]
    nowhere = number + 1000

    # At registration: neither number is taken as the payer's customer.
    foreign = await register(client, shop_a, order_body(payer={"customerNumber": number}))
    unknown = await register(client, shop_a, order_body(payer={"customerNumber": nowhere}))
    assert (await order_status(client, shop_a, foreign))["customerNumber"] is None
    assert (await order_status(client, shop_a, unknown))["customerNumber"] is None

    # Processed: both fail, with the same answer, and neither becomes that customer's order.
    await fulfil(client, shop_a, foreign)
    await fulfil(client, shop_a, unknown)
    await fulfilment.step()
    foreign_status = await order_status(client, shop_a, foreign)
    unknown_status = await order_status(client, shop_a, unknown)
    assert foreign_status["orderStatus"] == unknown_status["orderStatus"] == "failed"
    assert foreign_status["customerNumber"] is unknown_status["customerNumber"] is None
    foreign_answer = await fulfil(client, shop_a, foreign)
    unknown_answer = await fulfil(client, shop_a, unknown)
    assert foreign_answer["fulfillmentStatus"] == unknown_answer["fulfillmentStatus"] == "ERROR"
    assert foreign_answer["errorMessage"] == unknown_answer["errorMessage"]
    assert str(number) not in foreign_answer["errorMessage"]

    # Ola, B's customer, sees B's order only.
    assert [order["orderId"] for order in await user_orders(client, tokens)] == [of_b["orderId"]]


async def test_own_customer_number__still_that_customer(
    client: httpx.AsyncClient, shops: tuple[Caller, Caller], fulfilment: FulfilmentWorker
) -> None:
    shop_a, _shop_b = shops
    first = await processed_order(client, shop_a, fulfilment, payer=payer())

    second = await processed_order(
        client, shop_a, fulfilment, payer={"customerNumber": first["customerNumber"]}
    )

    assert second["orderStatus"] == "processed"
    assert second["customerNumber"] == first["customerNumber"]


async def test_user_who_is_a_customer_of_two_clients__sees_each_order_under_that_clients_customer(
    client: httpx.AsyncClient,
    shops: tuple[Caller, Caller],
    fulfilment: FulfilmentWorker,
    tokens: Tokens,
) -> None:
    shop_a, shop_b = shops
    of_a = await processed_order(client, shop_a, fulfilment, payer=payer())
    of_b = await processed_order(client, shop_b, fulfilment, payer=payer())

    listed = {order["orderId"]: order["customerNumber"] for order in await user_orders(client, tokens)}

    assert listed == {of_a["orderId"]: of_a["customerNumber"], of_b["orderId"]: of_b["customerNumber"]}
    assert of_a["customerNumber"] != of_b["customerNumber"]
    assert await user_orders(client, tokens, "kari@example.com") == []
