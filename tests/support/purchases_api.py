"""Helpers of the purchase tests: a registered client with its access token, a catalogue, order
bodies with sensible defaults, and the calls a client system makes."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from orderdesk.core.db import Database
from orderdesk.purchases.schemas import parse_products
from orderdesk.purchases.service.catalog import import_products
from orderdesk.purchases.service.clients import register_client
from tests.support.processes import run_orderdesk

CAPI = "/capi/v1"
CATALOG = {
    "products": [
        {
            "productSpecType": "coupon",
            "productSpecCode": "DT",
            "productSpecNo": 3011,
            "unitPrice": 149,
            "description": "Daily paper, one month",
        },
        {"productSpecType": "product", "product": "TOTE", "unitPrice": 99.5, "description": "Tote bag"},
        {
            "productSpecType": "issue",
            "productSpecCode": "DT",
            "productSpecNo": 3011,
            "product": "2026-48",
            "unitPrice": 39,
        },
        {"productSpecType": "article", "product": "ART-1", "unitPrice": 10, "description": "An article"},
    ]
}


@dataclass
class Caller:
    client_id: str
    headers: dict[str, str]
    callback_signing_secret: str = ""


async def register_caller(http: httpx.AsyncClient, database: Database, name: str = "shop") -> Caller:
    """A client registered as `orderdesk clients add` does, with a token from /oauth/token."""
    async with database.transaction() as connection:
        client = await register_client(connection, name, datetime.now(UTC))
    response = await http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(client.client_id, client.client_secret),
    )
    assert response.status_code == 200, response.text
    return Caller(
        client.client_id,
        {"Authorization": f"Bearer {response.json()['access_token']}"},
        client.callback_signing_secret,
    )


def shop_home(home: Path, env: dict[str, str]) -> dict[str, str]:
    """A new home with the test catalogue imported and a client added, both by the CLI as an operator
    does; the client's credentials as `clients add` printed them."""
    home.mkdir()
    (home / "products.json").write_text(json.dumps(CATALOG))
    imported = run_orderdesk(home, "products", "import", "products.json", env=env)
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout) == {"products": len(CATALOG["products"])}
    added = run_orderdesk(home, "clients", "add", "web shop", env=env)
    assert added.returncode == 0, added.stderr
    credentials: dict[str, str] = json.loads(added.stdout)
    return credentials


async def bearer_of(http: httpx.AsyncClient, credentials: dict[str, str]) -> dict[str, str]:
    """The Authorization header of an access token granted to the client at /oauth/token."""
    granted = await http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(credentials["client_id"], credentials["client_secret"]),
    )
    assert granted.status_code == 200, granted.text
    return {"Authorization": f"Bearer {granted.json()['access_token']}"}


async def load_catalog(database: Database) -> None:
    async with database.transaction() as connection:
        await import_products(connection, parse_products(copy.deepcopy(CATALOG)), datetime.now(UTC))


def order_body(**overrides: Any) -> dict[str, Any]:
    """One month of the daily paper for Ola, paid by invoice: 149 NOK."""
    body: dict[str, Any] = {
        "externalOrderId": None,
        "orderDate": 1_559_372_400_000,
        "paymentMethod": "invoice",
        "orderAmount": 149,
        "currency": "NOK",
        "payer": {
            "firstName": "Ola",
            "lastName": "Nordmann",
            "postalCode": "0150",
            "emails": ["ola@example.com"],
            "phoneNumbers": ["+4799999999"],
        },
        "orderLines": [
            {"productSpecType": "coupon", "productSpecCode": "DT", "productSpecNo": 3011, "quantity": 1}
        ],
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not None}


async def register(http: httpx.AsyncClient, caller: Caller, body: dict[str, Any]) -> int:
    response = await http.post(f"{CAPI}/client/order", json=body, headers=caller.headers)
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"orderId"}
    order_id: int = response.json()["orderId"]
    return order_id


async def status_of(http: httpx.AsyncClient, caller: Caller, order_id: int | str) -> httpx.Response:
    return await http.get(f"{CAPI}/client/order/status/{order_id}", headers=caller.headers)


async def order_status(http: httpx.AsyncClient, caller: Caller, order_id: int) -> dict[str, Any]:
    response = await status_of(http, caller, order_id)
    assert response.status_code == 200, response.text
    orders = response.json()["orders"]
    assert len(orders) == 1
    order: dict[str, Any] = orders[0]
    return order


async def fulfil(
    http: httpx.AsyncClient, caller: Caller, order_id: int, callback_url: str | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"orderId": order_id}
    if callback_url:
        body["callbackUrl"] = callback_url
    response = await http.post(f"{CAPI}/client/order/fulfillment", json=body, headers=caller.headers)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer
