"""Selection size (issue 13, finding 13): `POST /user/orders/apply` with 280,000 product ids cost 1.6 s
of server time. Every list of product ids a data-order request carries is capped, with a 400 problem
naming the field and the limit, and the OpenAPI document states the cap."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from orderdesk.core.db import Database
from orderdesk.dataorders.models import Selection
from orderdesk.dataorders.repository import basket as baskets
from orderdesk.dataorders.rules.selection import MAX_BASKET_SELECTIONS, MAX_PRODUCT_IDS
from tests.integration.dataorders.conftest import catalog, http, small_suborders, user  # noqa: F401
from tests.integration.dataorders.flow import API

IDS_PER_QUERY = 7_000  # a query is at most 100,000 characters


def queries_naming(count: int) -> list[str]:
    ids = [f"p{number:06d}" for number in range(count)]
    return [
        "productId:(" + " OR ".join(ids[start : start + IDS_PER_QUERY]) + ")"
        for start in range(0, count, IDS_PER_QUERY)
    ]


async def _orders(http: httpx.AsyncClient, user: dict[str, str]) -> int:  # noqa: F811
    response = await http.get(f"{API}/user/orders", headers=user)
    total: int = response.json()["metadata"]["totalElements"]
    return total


def _assert_refused(response: httpx.Response, field: str) -> None:
    assert response.status_code == 400, response.text[:500]
    assert response.headers["content-type"] == "application/problem+json"
    [message] = response.json()["errors"][field]
    assert f"{MAX_PRODUCT_IDS}" in message


async def test_apply__280000_product_ids__400_naming_queries_and_the_limit(
    http: httpx.AsyncClient,  # noqa: F811
    user: dict[str, str],  # noqa: F811
    catalog: Path,  # noqa: F811
) -> None:
    body = {"queries": queries_naming(280_000), "correlationId": "big"}

    response = await http.post(f"{API}/user/orders/apply", json=body, headers=user)

    _assert_refused(response, "queries")
    assert await _orders(http, user) == 0


async def test_apply__product_ids_at_the_limit__taken_as_any_other_selection(
    http: httpx.AsyncClient,  # noqa: F811
    user: dict[str, str],  # noqa: F811
    catalog: Path,  # noqa: F811
) -> None:
    queries = [*queries_naming(MAX_PRODUCT_IDS - 1), "productId:A"]

    response = await http.post(f"{API}/user/orders/apply", json={"queries": queries}, headers=user)

    assert response.status_code == 200, response.text[:500]
    assert response.json()["status"] == "GRANTED"


@pytest.mark.parametrize(
    ("selection", "field"),
    [
        ({"query": "productId:(" + " OR ".join(map(str, range(MAX_PRODUCT_IDS + 1))) + ")"}, "query"),
        ({"productIds": [f"p{number}" for number in range(MAX_PRODUCT_IDS + 1)]}, "productIds"),
    ],
)
async def test_basket_selection__more_product_ids_than_the_limit__400_naming_the_field(
    http: httpx.AsyncClient,  # noqa: F811
    user: dict[str, str],  # noqa: F811
    catalog: Path,  # noqa: F811
    selection: dict[str, Any],
    field: str,
) -> None:
    response = await http.post(
        f"{API}/order/basket/selection", json={"dataset": "ds1", **selection}, headers=user
    )

    assert response.status_code == 400, response.text[:500]
    assert field in response.json()["errors"]
    basket = await http.get(f"{API}/order/basket", headers=user)
    assert basket.json()["selections"] == []


async def test_openapi_document__states_the_product_id_cap(http: httpx.AsyncClient) -> None:  # noqa: F811
    schemas = (await http.get("/openapi.json")).json()["components"]["schemas"]

    assert schemas["ApplyRequest"]["properties"]["queries"]["x-maxProductIds"] == MAX_PRODUCT_IDS
    selection = schemas["BasketSelectionRequest"]["properties"]
    assert selection["productIds"]["anyOf"][0]["maxItems"] == MAX_PRODUCT_IDS
    assert selection["query"]["x-maxProductIds"] == MAX_PRODUCT_IDS


async def test_basket__selections_past_the_caps__400_naming_the_field_and_the_limit(
    http: httpx.AsyncClient,  # noqa: F811
    user: dict[str, str],  # noqa: F811
    catalog: Path,  # noqa: F811
    database: Database,
) -> None:
    now = datetime.now(UTC)
    selection = f"{API}/order/basket/selection"
    padding = [f"p{number}" for number in range(MAX_PRODUCT_IDS - 1)]
    first = await http.post(selection, json={"dataset": "ds1", "productIds": ["A", *padding]}, headers=user)
    assert first.status_code == 200, first.text[:500]

    over = await http.post(selection, json={"dataset": "ds1", "productIds": ["A", "B"]}, headers=user)

    _assert_refused(over, "productIds")
    async with database.transaction() as connection:  # as that many requests would
        for _ in range(MAX_BASKET_SELECTIONS - 1):
            await baskets.add_selection(connection, "ola@example.com", Selection("ds1", None, None), now)
    full = await http.post(selection, json={"dataset": "ds1"}, headers=user)
    assert full.status_code == 400
    assert f"{MAX_BASKET_SELECTIONS}" in full.json()["errors"]["selections"][0]
    basket = await http.get(f"{API}/order/basket", headers=user)
    assert len(basket.json()["selections"]) == MAX_BASKET_SELECTIONS
