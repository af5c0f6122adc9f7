"""`POST /user/orders/apply`: select and order in one call, GRANTED (200) or DENIED (422) with the
reason; the basket is left alone; a malformed body is a 400 problem."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from orderdesk.dataorders.tasks import StagingWorker
from tests.conftest import Clock
from tests.integration.dataorders.flow import API, files_of, order_of, status_of


async def apply(http: httpx.AsyncClient, user: dict[str, str], body: dict[str, Any]) -> httpx.Response:
    return await http.post(f"{API}/user/orders/apply", json=body, headers=user)


async def test_apply__granted__order_of_the_queried_products(
    http: httpx.AsyncClient, user: dict[str, str], worker: StagingWorker, clock: Clock, catalog: Path
) -> None:
    response = await apply(
        http,
        user,
        {
            "queries": ["productId:(A OR top.dat)", "productId:nothing-like-this"],
            "filters": {"dataTypes": ["RAWDATA"], "filenameRegExp": r".*\.(txt|dat)"},
            "correlationId": "my-request-7",
        },
    )

    assert response.status_code == 200, response.text
    body = response.json()
    order_id = body["orderId"]
    assert body == {
        "status": "GRANTED",
        "orderId": order_id,
        "correlationId": "my-request-7",
        "message": None,
        "downloadLink": f"http://testserver{API}/user/orders/{order_id}/download",
        "errorType": None,
        "errors": None,
        "totalSubOrders": 1,
    }
    assert await files_of(http, user, order_id) == {"a1.txt": "PENDING", "top.dat": "PENDING"}
    order = await order_of(http, user, order_id)
    assert order["correlationId"] == "my-request-7"
    expires = datetime.fromisoformat(order["expirationDate"])
    assert abs(expires - (clock() + timedelta(hours=6))) < timedelta(minutes=1)  # (1 sub-order + 2) x 2 h
    basket = await http.get(f"{API}/order/basket", headers=user)
    assert basket.json()["selections"] == []
    await worker.step()
    assert (await status_of(http, user, order_id))[0] == 200


async def test_apply__leaves_the_basket_alone(
    http: httpx.AsyncClient, user: dict[str, str], catalog: Path
) -> None:
    await http.post(f"{API}/order/basket/selection", json={"dataset": "ds1"}, headers=user)

    assert (await apply(http, user, {"queries": ["productId:B"]})).status_code == 200

    assert len((await http.get(f"{API}/order/basket", headers=user)).json()["selections"]) == 1


ONLY_A = {"queries": ["productId:A"]}


@pytest.mark.parametrize(
    ("body", "error_type", "field"),
    [
        ({"queries": ["productId:unknown"]}, "EMPTY_ORDER", None),
        ({"queries": ["productId:A"], "filters": {"dataTypes": ["QUICKLOOK"]}}, "EMPTY_ORDER", None),
        (
            {"queries": ["productId:A"], "filters": {"dataTypes": ["RAWDATA"], "filenameRegExp": "x.*"}},
            "EMPTY_ORDER",
            None,
        ),
        ({"queries": ["productId:A", "title:foo"]}, "INVALID_CONTENT", "queries[1]"),
        (
            {"queries": ["productId:A"], "filters": {"dataTypes": ["RAWDATA"], "filenameRegExp": "(["}},
            "INVALID_CONTENT",
            "filenameRegExp",
        ),
    ],
)
async def test_apply__denied__422_with_the_reason__no_order(
    http: httpx.AsyncClient,
    user: dict[str, str],
    catalog: Path,
    body: dict[str, Any],
    error_type: str,
    field: str | None,
) -> None:
    response = await apply(http, user, {**body, "correlationId": "c-1"})

    assert response.status_code == 422
    denied = response.json()
    assert (denied["status"], denied["errorType"], denied["orderId"]) == ("DENIED", error_type, None)
    assert denied["correlationId"] == "c-1"
    assert denied["message"]
    if field is not None:
        assert list(denied["errors"]) == [field]
    assert (await http.get(f"{API}/user/orders", headers=user)).json()["content"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "queries"),
        ({"queries": []}, "queries"),
        ({"queries": ["productId:A"], "filters": {"dataTypes": []}}, "filters.dataTypes"),
        ({"queries": ["productId:A"], "filters": {"dataTypes": ["THUMBNAIL"]}}, "filters.dataTypes[0]"),
        ({"queries": ["productId:A"], "correlationId": "x" * 256}, "correlationId"),
        ({"queries": "productId:A"}, "queries"),
        ({"queries": ["productId:A"], "filters": {"sizes": [1]}}, "filters.sizes"),
        ({"queries": ["productId:A"], "label": "x"}, "label"),
    ],
)
async def test_apply__malformed_body__400_problem_naming_the_field(
    http: httpx.AsyncClient, user: dict[str, str], catalog: Path, body: dict[str, Any], field: str
) -> None:
    response = await apply(http, user, body)

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert field in response.json()["errors"]
