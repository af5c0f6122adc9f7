"""Another owner's order answers exactly as a missing one (issue 13, finding 10): ids are sequential,
so a 403 for an existing order (or any other difference) would tell a user which ids others hold."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from uuid import uuid4

import httpx
import pytest

from orderdesk.core.db import Database
from orderdesk.dataorders.tasks import StagingWorker
from tests.conftest import Tokens
from tests.factories.notifications import email_order
from tests.integration.dataorders.conftest import (  # noqa: F401 - fixtures
    catalog,
    http,
    small_suborders,
    user,
    worker,
)
from tests.integration.dataorders.flow import API, order_all, stage_everything, status_of
from tests.support.purchases_api import CAPI, load_catalog, order_body, register, register_caller

NOTIFICATIONS = "/notifications/api/v1"
ORDER_ROUTES = [
    ("GET", "/user/orders/{id}"),
    ("GET", "/user/orders/{id}/files"),
    ("GET", "/user/orders/{id}/files/available"),
    ("GET", "/orders/{id}/files/available"),
    ("GET", "/user/orders/{id}/download"),
    ("GET", "/user/orders/{id}/metalink/download"),
    ("PUT", "/user/orders/pause/{id}"),
    ("PUT", "/user/orders/resume/{id}"),
    ("PUT", "/user/orders/{id}/retry"),
    ("POST", "/user/orders/{id}/restart"),
    ("DELETE", "/user/orders/{id}"),
]


def _answer(response: httpx.Response) -> tuple[int, str, Any]:
    """Status, media type and body, less the trace id that differs on every request."""
    body: Any = response.content
    if response.content and response.headers.get("content-type", "").endswith("json"):
        body = {key: value for key, value in response.json().items() if key != "traceId"}
    return response.status_code, response.headers.get("content-type", ""), body


@pytest.mark.parametrize(("method", "path"), ORDER_ROUTES)
async def test_data_order_route__another_users_order__same_404_as_a_missing_one(
    http: httpx.AsyncClient,  # noqa: F811
    user: dict[str, str],  # noqa: F811
    tokens: Tokens,
    catalog: Path,  # noqa: F811
    method: str,
    path: str,
) -> None:
    order_id = await order_all(http, user, "ds1")
    kari = tokens.user("kari@example.com")
    body: dict[str, str] | None = {} if method == "POST" else None

    others = await http.request(method, API + path.format(id=order_id), headers=kari, json=body)
    missing = await http.request(method, API + path.format(id=order_id + 1000), headers=kari, json=body)

    assert others.status_code == 404, others.text
    assert _answer(others) == _answer(missing)
    owned = await http.get(f"{API}/user/orders/{order_id}", headers=user)
    assert owned.json()["status"] == "PENDING"  # and nothing changed


async def test_file_uri__another_users_file__same_404_as_a_missing_one(
    http: httpx.AsyncClient,  # noqa: F811
    user: dict[str, str],  # noqa: F811
    worker: StagingWorker,  # noqa: F811
    tokens: Tokens,
    catalog: Path,  # noqa: F811
) -> None:
    order_id = await order_all(http, user, "ds1")
    await stage_everything(worker)
    _code, page = await status_of(http, user, order_id)
    uri = page["content"][0]["uri"].removeprefix("http://testserver")
    kari = tokens.user("kari@example.com")

    others = await http.get(uri, headers=kari)
    missing = await http.get(f"{API}/orders/files/00000000-0000-0000-0000-000000000000", headers=kari)

    assert others.status_code == 404
    assert _answer(others) == _answer(missing)


@pytest.mark.parametrize("method", ["GET", "HEAD"])
async def test_public_file__order_token_of_another_order__same_404_as_a_missing_file(
    http: httpx.AsyncClient,  # noqa: F811
    user: dict[str, str],  # noqa: F811
    worker: StagingWorker,  # noqa: F811
    catalog: Path,  # noqa: F811
    method: str,
) -> None:
    first = await order_all(http, user, "ds1")
    second = await order_all(http, user, "ds1")
    await stage_everything(worker)
    metalinks = [
        (await http.get(f"{API}/user/orders/{order}/metalink/download", headers=user)).text
        for order in (first, second)
    ]
    first_url = metalinks[0].split("<url>")[1].split("</url>")[0].replace("&amp;", "&")
    second_url = metalinks[1].split("<url>")[1].split("</url>")[0].replace("&amp;", "&")
    other_token = parse_qs(urlsplit(second_url).query)["orderToken"][0]
    path = urlsplit(first_url).path

    others = await http.request(method, path, params={"orderToken": other_token})
    missing = await http.request(
        method,
        f"{API}/orders/public/files/00000000-0000-0000-0000-000000000000",
        params={"orderToken": other_token},
    )

    assert others.status_code == 404
    assert _answer(others) == _answer(missing)


# ---- the other families, checked for the same leak -----------------------------------------------

NOTIFICATION_ROUTES = [
    ("GET", "/orders/{id}"),
    ("GET", "/order/{id}"),
    ("GET", "/orders/{id}/status"),
    ("GET", "/orders/{id}/notifications/email"),
    ("GET", "/orders/{id}/notifications/sms"),
    ("PUT", "/orders/{id}/cancel"),
    ("PUT", "/order/{id}/cancel"),
]


@pytest.mark.parametrize(("method", "path"), NOTIFICATION_ROUTES)
async def test_notification_order_route__another_organisations_order__same_404_as_a_missing_one(
    client: httpx.AsyncClient, auth: dict[str, str], tokens: Tokens, method: str, path: str
) -> None:
    placed = await client.post(f"{NOTIFICATIONS}/orders/email", json=email_order(), headers=auth)
    order_id = placed.json()["orderId"]
    other = tokens.bearer("other")

    others = await client.request(method, NOTIFICATIONS + path.format(id=order_id), headers=other)
    missing = await client.request(method, NOTIFICATIONS + path.format(id=uuid4()), headers=other)

    assert others.status_code == 404
    assert _answer(others) == _answer(missing)
    mine = await client.get(f"{NOTIFICATIONS}/orders/{order_id}/status", headers=auth)
    assert mine.json()["processingStatus"]["status"] == "Registered"


async def test_purchase_order__another_clients_or_customers_order__answered_as_a_missing_one(
    client: httpx.AsyncClient, database: Database, tokens: Tokens
) -> None:
    await load_catalog(database)
    shop = await register_caller(client, database, "shop")
    other = await register_caller(client, database, "other shop")
    order_id = await register(client, shop, order_body())
    missing_id = order_id + 1000

    def same(response: httpx.Response, number: int) -> tuple[int, str]:
        return response.status_code, response.text.replace(str(number), "{id}")

    others = await client.get(f"{CAPI}/client/order/status/{order_id}", headers=other.headers)
    missing = await client.get(f"{CAPI}/client/order/status/{missing_id}", headers=other.headers)
    assert others.status_code == 404
    assert same(others, order_id) == same(missing, missing_id)
    fulfil = f"{CAPI}/client/order/fulfillment"
    others = await client.post(fulfil, json={"orderId": order_id}, headers=other.headers)
    missing = await client.post(fulfil, json={"orderId": missing_id}, headers=other.headers)
    assert others.status_code == 404
    assert same(others, order_id) == same(missing, missing_id)

    # User mode: someone who is not the payer finds nothing, as for an id nobody has.
    kari = tokens.customer("kari@example.com")
    for number in (order_id, missing_id):
        found = await client.post(f"{CAPI}/order/status", json={"orderId": number}, headers=kari)
        assert (found.status_code, found.json()) == (200, {"orders": []})
