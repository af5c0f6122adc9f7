"""Rules the OpenAPI document states are the rules the server applies: a request the document allows
is not refused for its form, and one it refuses is refused."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from orderdesk.core.clock import utcnow
from orderdesk.core.db import Database
from orderdesk.purchases.service.clients import register_client
from tests.conftest import Tokens

SELECTION = "/api/v1/rs-order/order/basket/selection"
QUERIES = [
    "productId:a",
    'productId:(a OR "b c" OR d)',
    " productId : ( x ) ",
    "productId:(a OR b",
    'productId:""',
    "productId:()",
    "productId:a b",
    "productId:",
    "product:a",
    'productId:(a OR "")',
]


@pytest.mark.parametrize("query", QUERIES)
async def test_basket_selection__product_query__refused_exactly_when_the_document_pattern_refuses_it(
    client: httpx.AsyncClient, tokens: Tokens, query: str
) -> None:
    document = (await client.get("/openapi.json")).json()
    selection = document["components"]["schemas"]["BasketSelectionRequest"]["properties"]["query"]
    pattern = next(branch["pattern"] for branch in selection["anyOf"] if branch.get("type") == "string")

    response = await client.post(
        SELECTION, json={"dataset": "nowhere", "query": query}, headers=tokens.user()
    )

    # A query of the documented grammar gets as far as the unknown dataset (404).
    expected = 404 if re.search(pattern, query) else 400
    assert response.status_code == expected, response.text


async def test_fulfilment__order_id_written_6600_0__read_as_the_integer_6600(
    client: httpx.AsyncClient, database: Database, tokens: Tokens
) -> None:
    """JSON (and JSON Schema) make no difference between 6600 and 6600.0; 6600.5 stays refused."""
    async with database.transaction() as connection:
        client_id = (await register_client(connection, "rules", utcnow())).client_id
    headers = tokens.client(client_id)

    def fulfil(order_id: Any) -> Any:
        return client.post("/capi/v1/client/order/fulfillment", json={"orderId": order_id}, headers=headers)

    assert (await fulfil(6600.0)).status_code == 404
    assert (await fulfil(6600.5)).status_code == 400
    assert (await fulfil("6600")).status_code == 400
