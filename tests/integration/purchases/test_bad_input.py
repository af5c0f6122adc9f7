"""Bad requests to the purchase API: each gets its documented status (400, 401, 403, 404, 405) with a
body naming the problem, in the API's own error shapes, and changes nothing stored."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from orderdesk.core.db import Database
from orderdesk.purchases.tables import purchase_order, purchase_order_line
from tests.conftest import Tokens
from tests.support.purchases_api import (
    CAPI,
    Caller,
    order_body,
    order_status,
    register,
    register_caller,
    status_of,
)

COUPON = {"productSpecType": "coupon", "productSpecCode": "DT", "productSpecNo": 3011, "quantity": 1}
PAYER = {"firstName": "Ola", "lastName": "Nordmann", "emails": ["ola@example.com"]}


def coupon(**overrides: Any) -> list[dict[str, Any]]:
    """The default order's one line, changed; a value of None leaves the field out."""
    line = {**COUPON, **overrides}
    return [{key: value for key, value in line.items() if value is not None}]


def payer(**overrides: Any) -> dict[str, Any]:
    fields = {**PAYER, **overrides}
    return {key: value for key, value in fields.items() if value is not None}


def without(body: dict[str, Any], key: str) -> dict[str, Any]:
    return {name: value for name, value in body.items() if name != key}


async def stored(database: Database) -> tuple[int, int]:
    """How many orders and order lines are stored."""
    async with database.transaction() as connection:
        orders = await connection.scalar(select(func.count()).select_from(purchase_order))
        lines = await connection.scalar(select(func.count()).select_from(purchase_order_line))
    return int(orders or 0), int(lines or 0)


async def post_json(
    client: httpx.AsyncClient, path: str, body: Any, headers: dict[str, str]
) -> httpx.Response:
    """POST `body` as ASCII JSON: a lone surrogate goes out escaped (`\\ud800`), as httpx cannot send it."""
    headers = {**headers, "Content-Type": "application/json"}
    return await client.post(f"{CAPI}{path}", content=json.dumps(body), headers=headers)


def assert_capi_error(response: httpx.Response, status: int, exception_type: str, naming: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"exceptionType", "errorMessage"}
    assert body["exceptionType"] == exception_type
    assert naming in body["errorMessage"]


def assert_bad_request(response: httpx.Response, naming: str) -> None:
    assert_capi_error(response, 400, "BadRequestException", naming)


def assert_token_error(response: httpx.Response, status: int, error: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "error_description"}
    assert body["error"] == error
    assert body["error_description"]
    assert response.headers["www-authenticate"].startswith("Bearer ")
    assert f'error="{error}"' in response.headers["www-authenticate"]


BAD_BODIES = [
    pytest.param(order_body(orderAmount=149.005), "orderAmount", id="orderAmount_with_three_decimals"),
    pytest.param(order_body(orderAmount=-149), "orderAmount", id="negative_orderAmount"),
    pytest.param(
        order_body(orderLines=coupon(unitPrice=149.005)),
        "orderLines[0].unitPrice",
        id="unitPrice_with_three_decimals",
    ),
    pytest.param(
        order_body(orderLines=coupon(quantity=-1)), "orderLines[0].quantity", id="negative_quantity"
    ),
    pytest.param(order_body(orderLines=coupon(quantity=0)), "orderLines[0].quantity", id="quantity_0"),
    pytest.param(
        order_body(orderLines=coupon(quantity="1")), "orderLines[0].quantity", id="quantity_as_a_string"
    ),
    pytest.param(
        order_body(orderLines=coupon(productSpecType="voucher")),
        "orderLines[0].productSpecType",
        id="unknown_productSpecType",
    ),
    pytest.param(
        order_body(orderLines=coupon(productSpecNo=None)),
        "productSpecNo",
        id="coupon_line_without_productSpecNo",
    ),
    pytest.param(
        order_body(orderLines=coupon(productSpecCode=None)),
        "productSpecCode",
        id="coupon_line_without_productSpecCode",
    ),
    pytest.param(
        order_body(orderLines=[{"productSpecType": "product", "quantity": 1}]),
        "product",
        id="product_line_without_product",
    ),
    pytest.param(
        order_body(orderLines=coupon(productSpecType="issue")), "product", id="issue_line_missing_product"
    ),
    pytest.param(
        order_body(orderLines=[{"productSpecType": "article", "product": "ART-1"}]),
        "articleDetail",
        id="article_line_without_articleDetail",
    ),
    pytest.param(order_body(externalOrderId="x" * 41), "externalOrderId", id="externalOrderId_of_41_chars"),
    pytest.param(order_body(orderLines=[]), "orderLines", id="empty_orderLines"),
    pytest.param(without(order_body(), "orderLines"), "orderLines", id="missing_orderLines"),
    pytest.param(without(order_body(), "payer"), "payer", id="missing_payer"),
    pytest.param(
        order_body(payer=payer(lastName=None)), "lastName", id="payer_with_neither_lastName_nor_companyName"
    ),
    pytest.param(
        order_body(payer=payer(emails=None)), "emails", id="payer_with_neither_emails_nor_phoneNumbers"
    ),
    pytest.param(
        order_body(payer=payer(emails=["ola@", "ola@example.com"])), "payer.emails[0]", id="invalid_email"
    ),
    pytest.param(
        order_body(payer=payer(phoneNumbers=["12-34"])), "payer.phoneNumbers[0]", id="invalid_phone"
    ),
    pytest.param(order_body(currency="nok"), "currency", id="currency_in_lower_case"),
    pytest.param(order_body(currency="NOKK"), "currency", id="currency_of_four_letters"),
    pytest.param(order_body(paymentMethod="bitcoin"), "paymentMethod", id="unknown_paymentMethod"),
    pytest.param(without(order_body(), "paymentMethod"), "paymentMethod", id="missing_paymentMethod"),
    pytest.param(order_body(orderDate=-1), "orderDate", id="negative_orderDate"),
    pytest.param(order_body(orderDate=10**20), "orderDate", id="absurdly_large_orderDate"),
    pytest.param(order_body(orderDate="1559372400000"), "orderDate", id="orderDate_as_a_string"),
    pytest.param(
        order_body(orderLines=coupon(productSpecNo=2**31)),
        "orderLines[0].productSpecNo",
        id="productSpecNo_above_32_bits",
    ),
    pytest.param(order_body(payer={"customerNumber": 0}), "payer.customerNumber", id="customerNumber_0"),
    pytest.param(
        order_body(payer=payer(lastName="Nord\u0000mann")), "payer.lastName", id="NUL_in_the_payer_name"
    ),
    pytest.param(order_body(note="a\u0000b"), "note", id="NUL_in_an_unknown_extra_field"),
    pytest.param(
        order_body(payer=payer(firstName="\udc00la")),
        "payer.firstName",
        id="lone_surrogate_in_the_payer_name",
    ),
    pytest.param(
        order_body(externalOrderId="web\ud800"), "externalOrderId", id="lone_surrogate_in_externalOrderId"
    ),
    pytest.param(
        order_body(orderLines=[{**COUPON, "extra": {"deep": ["ok", "\u0000"]}}]),
        "orderLines[0].extra.deep[1]",
        id="NUL_deep_in_an_unknown_field_of_a_line",
    ),
    pytest.param(
        order_body(marketingCouponCode="SUMMER"),
        "marketingCouponNumber",
        id="marketingCouponCode_without_marketingCouponNumber",
    ),
]


@pytest.mark.parametrize(("body", "naming"), BAD_BODIES)
async def test_register__bad_body__400_naming_the_field_and_nothing_stored(
    client: httpx.AsyncClient, caller: Caller, database: Database, body: dict[str, Any], naming: str
) -> None:
    response = await post_json(client, "/client/order", body, caller.headers)

    assert_bad_request(response, naming)
    assert await stored(database) == (0, 0)


@pytest.mark.parametrize(
    ("content", "content_type", "naming"),
    [
        pytest.param(b'{"orderAmount": 149,', "application/json", "not valid JSON", id="body_not_json"),
        pytest.param(b"[1, 2]", "application/json", "$", id="body_a_json_array"),
        pytest.param(b"null", "application/json", "$", id="body_json_null"),
        pytest.param(b"", None, "request body is required", id="no_body"),
    ],
)
async def test_register__body_not_a_json_object__400_and_nothing_stored(
    client: httpx.AsyncClient,
    caller: Caller,
    database: Database,
    content: bytes,
    content_type: str | None,
    naming: str,
) -> None:
    headers = {**caller.headers, **({"Content-Type": content_type} if content_type else {})}

    response = await client.post(f"{CAPI}/client/order", content=content, headers=headers)

    assert_bad_request(response, naming)
    assert await stored(database) == (0, 0)


async def test_register__externalOrderId_of_40_chars__registered(
    client: httpx.AsyncClient, caller: Caller, database: Database
) -> None:
    order_id = await register(client, caller, order_body(externalOrderId="x" * 40))

    assert (await order_status(client, caller, order_id))["externalOrderId"] == "x" * 40
    assert await stored(database) == (1, 1)


@pytest.mark.parametrize("order_id", ["abc", "1.5", "0", "99999999999999999999", "-1", str(2**31)])
async def test_get_status__order_id_not_a_positive_32_bit_integer__400_naming_orderId(
    client: httpx.AsyncClient, caller: Caller, order_id: str
) -> None:
    assert_bad_request(await status_of(client, caller, order_id), "orderId")


async def test_get_status__unknown_order__404(client: httpx.AsyncClient, caller: Caller) -> None:
    response = await status_of(client, caller, 123_456)

    assert_capi_error(response, 404, "OrderNotFoundException", "123456")


FulfilBody = Callable[[int], dict[str, Any]]


@pytest.mark.parametrize(
    ("body", "naming"),
    [
        pytest.param(lambda order_id: {"orderId": str(order_id)}, "orderId", id="orderId_as_a_string"),
        pytest.param(lambda order_id: {}, "orderId", id="missing_orderId"),
        pytest.param(lambda order_id: {"orderId": 0}, "orderId", id="orderId_0"),
        pytest.param(lambda order_id: {"orderId": 2**31}, "orderId", id="orderId_above_32_bits"),
        pytest.param(
            lambda order_id: {"orderId": order_id, "callbackUrl": "ftp://x"},
            "callbackUrl",
            id="callbackUrl_ftp",
        ),
        pytest.param(
            lambda order_id: {"orderId": order_id, "callbackUrl": "not a url"},
            "callbackUrl",
            id="callbackUrl_not_a_url",
        ),
        pytest.param(
            lambda order_id: {"orderId": order_id, "callbackUrl": "/cb"},
            "callbackUrl",
            id="callbackUrl_relative",
        ),
        pytest.param(
            lambda order_id: {"orderId": order_id, "callbackUrl": "http://shop.example/cb\u0000"},
            "callbackUrl",
            id="callbackUrl_with_NUL",
        ),
        pytest.param(
            lambda order_id: {"orderId": order_id, "callbackUrl": "http://shop.example/\ud800"},
            "callbackUrl",
            id="callbackUrl_with_a_lone_surrogate",
        ),
        pytest.param(
            lambda order_id: {"orderId": order_id, "callbackUrl": "http://shop.example/\u0007cb"},
            "callbackUrl",
            id="callbackUrl_with_a_control_character",
        ),
        pytest.param(
            lambda order_id: {"orderId": order_id, "callbackUrl": 12},
            "callbackUrl",
            id="callbackUrl_a_number",
        ),
    ],
)
async def test_fulfil__bad_body__400_naming_the_field_and_order_still_preliminary(
    client: httpx.AsyncClient, caller: Caller, body: FulfilBody, naming: str
) -> None:
    order_id = await register(client, caller, order_body())

    response = await post_json(client, "/client/order/fulfillment", body(order_id), caller.headers)

    assert_bad_request(response, naming)
    assert (await order_status(client, caller, order_id))["orderStatus"] == "preliminary"


async def test_fulfil__unknown_order__404(client: httpx.AsyncClient, caller: Caller) -> None:
    response = await client.post(
        f"{CAPI}/client/order/fulfillment", json={"orderId": 123_456}, headers=caller.headers
    )

    assert_capi_error(response, 404, "OrderNotFoundException", "123456")


CLIENT_CALLS = [
    pytest.param("POST", "/client/order", order_body(), id="register"),
    pytest.param("GET", "/client/order/status/1", None, id="status"),
    pytest.param("POST", "/client/order/fulfillment", {"orderId": 1}, id="fulfil"),
]
NOT_CLIENT_TOKENS = ["none", "garbage", "expired", "service_owner", "user", "basic"]


def not_a_client_token(kind: str, tokens: Tokens, caller: Caller) -> dict[str, str]:
    return {
        "none": {},
        "garbage": {"Authorization": "Bearer not.a.token"},
        "expired": tokens.client(caller.client_id, ttl_seconds=-60),
        "service_owner": tokens.bearer("ttd"),
        "user": tokens.user("ola@example.com"),
        "basic": {"Authorization": "Basic c2hvcDpzZWNyZXQ="},
    }[kind]


@pytest.mark.parametrize("kind", NOT_CLIENT_TOKENS)
@pytest.mark.parametrize(("method", "path", "body"), CLIENT_CALLS)
async def test_client_endpoint__without_a_valid_client_token__401_invalid_token_and_nothing_stored(
    client: httpx.AsyncClient,
    caller: Caller,
    tokens: Tokens,
    database: Database,
    kind: str,
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    headers = not_a_client_token(kind, tokens, caller)

    response = await client.request(method, f"{CAPI}{path}", json=body, headers=headers)

    assert_token_error(response, 401, "invalid_token")
    assert await stored(database) == (0, 0)


async def test_register__token_of_a_client_never_registered__401_and_nothing_stored(
    client: httpx.AsyncClient, caller: Caller, tokens: Tokens, database: Database
) -> None:
    response = await client.post(f"{CAPI}/client/order", json=order_body(), headers=tokens.client("nobody"))

    assert_token_error(response, 401, "invalid_token")
    assert await stored(database) == (0, 0)


@pytest.mark.parametrize(
    ("method", "body"),
    [pytest.param("GET", None, id="list"), pytest.param("POST", {"orderId": 1}, id="search")],
)
async def test_user_endpoint__client_token__401_invalid_token(
    client: httpx.AsyncClient, caller: Caller, method: str, body: dict[str, Any] | None
) -> None:
    response = await client.request(method, f"{CAPI}/order/status", json=body, headers=caller.headers)

    assert_token_error(response, 401, "invalid_token")


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_user_endpoint__no_token__401_invalid_token(client: httpx.AsyncClient, method: str) -> None:
    body = {"orderId": 1} if method == "POST" else None

    response = await client.request(method, f"{CAPI}/order/status", json=body)

    assert_token_error(response, 401, "invalid_token")


async def test_another_clients_order__status_and_fulfilment__404_and_still_preliminary(
    client: httpx.AsyncClient, caller: Caller, database: Database
) -> None:
    order_id = await register(client, caller, order_body())
    other = await register_caller(client, database, "other")

    status = await status_of(client, other, order_id)
    fulfilment = await client.post(
        f"{CAPI}/client/order/fulfillment", json={"orderId": order_id}, headers=other.headers
    )

    assert_capi_error(status, 404, "OrderNotFoundException", str(order_id))
    assert_capi_error(fulfilment, 404, "OrderNotFoundException", str(order_id))
    assert (await order_status(client, caller, order_id))["orderStatus"] == "preliminary"


@pytest.mark.parametrize(
    ("body", "naming"),
    [
        pytest.param({"orderId": 1, "externalOrderId": "web-1"}, "externalOrderId", id="both"),
        pytest.param({}, "externalOrderId", id="neither"),
        pytest.param({"orderId": "1"}, "orderId", id="orderId_as_a_string"),
        pytest.param({"orderId": 0}, "orderId", id="orderId_0"),
        pytest.param({"externalOrderId": "x" * 41}, "externalOrderId", id="externalOrderId_of_41_chars"),
        pytest.param({"externalOrderId": "a\u0000b"}, "externalOrderId", id="externalOrderId_with_NUL"),
        pytest.param(
            {"externalOrderId": "a\ud800"}, "externalOrderId", id="externalOrderId_with_a_lone_surrogate"
        ),
    ],
)
async def test_search_orders__bad_body__400_naming_the_field(
    client: httpx.AsyncClient, tokens: Tokens, body: dict[str, Any], naming: str
) -> None:
    response = await post_json(client, "/order/status", body, tokens.customer("ola@example.com"))

    assert_bad_request(response, naming)


async def test_unknown_path__404_in_the_capi_shape(client: httpx.AsyncClient, caller: Caller) -> None:
    response = await client.get(f"{CAPI}/client/nothing-here", headers=caller.headers)

    assert_capi_error(response, 404, "NotFoundException", "Not Found")


async def test_wrong_method__405_in_the_capi_shape(
    client: httpx.AsyncClient, caller: Caller, database: Database
) -> None:
    response = await client.put(f"{CAPI}/client/order", json=order_body(), headers=caller.headers)

    assert_capi_error(response, 405, "MethodNotAllowedException", "Method Not Allowed")
    assert "POST" in response.headers["allow"]
    assert await stored(database) == (0, 0)


# ---- fields the API does not know -------------------------------------------------------------------

UNKNOWN = "Extra inputs are not permitted"


@pytest.mark.parametrize(
    ("body", "naming"),
    [
        pytest.param(order_body(discountCode="SUMMER"), "discountCode", id="top_level"),
        pytest.param(order_body(payer=payer(nickname="Ola")), "payer.nickname", id="payer"),
        pytest.param(order_body(orderLines=coupon(colour="red")), "orderLines[0].colour", id="order_line"),
        pytest.param(
            order_body(orderLines=[{**COUPON, "receiver": {**PAYER, "floor": 3}}]),
            "orderLines[0].receiver.floor",
            id="line_receiver",
        ),
    ],
)
async def test_register__unknown_field__400_naming_its_path_and_nothing_stored(
    client: httpx.AsyncClient, caller: Caller, database: Database, body: dict[str, Any], naming: str
) -> None:
    response = await post_json(client, "/client/order", body, caller.headers)

    assert_bad_request(response, f"{naming}: {UNKNOWN}")
    assert await stored(database) == (0, 0)


async def test_fulfil__unknown_field__400_naming_it_and_order_still_preliminary(
    client: httpx.AsyncClient, caller: Caller
) -> None:
    order_id = await register(client, caller, order_body())

    response = await post_json(
        client, "/client/order/fulfillment", {"orderId": order_id, "callbackURL": "https://x"}, caller.headers
    )

    assert_bad_request(response, f"callbackURL: {UNKNOWN}")
    assert (await order_status(client, caller, order_id))["orderStatus"] == "preliminary"


async def test_search__unknown_field__400_naming_it(client: httpx.AsyncClient, tokens: Tokens) -> None:
    response = await client.post(
        f"{CAPI}/order/status", json={"orderId": 1, "orderID": 1}, headers=tokens.customer("ola@example.com")
    )

    assert_bad_request(response, f"orderID: {UNKNOWN}")


# ---- found by review ------------------------------------------------------------------------------


async def test_register__json_nested_past_32_levels__400_and_nothing_stored(
    client: httpx.AsyncClient, caller: Caller, database: Database
) -> None:
    nested: Any = "deep"
    for _ in range(300):
        nested = {"inner": nested}

    response = await client.post(
        f"{CAPI}/client/order", json=order_body(extra=nested), headers=caller.headers
    )

    assert response.status_code == 400, response.text
    assert "deeper than 32 levels" in response.json()["errorMessage"]
    assert await stored(database) == (0, 0)


@pytest.mark.parametrize("amount", ["149", "1E+2", " 12 "])
async def test_register__amount_as_a_string__400_naming_orderAmount(
    client: httpx.AsyncClient, caller: Caller, database: Database, amount: str
) -> None:
    response = await client.post(
        f"{CAPI}/client/order", json=order_body(orderAmount=amount), headers=caller.headers
    )

    assert_bad_request(response, "orderAmount")
    assert await stored(database) == (0, 0)


@pytest.mark.parametrize("url", ["http://shop.example.com:abc/cb", "http://shop.example.com:99999999/cb"])
async def test_fulfil__callback_url_with_a_bad_port__400_and_order_still_preliminary(
    client: httpx.AsyncClient, caller: Caller, url: str
) -> None:
    order_id = await register(client, caller, order_body())

    response = await client.post(
        f"{CAPI}/client/order/fulfillment",
        json={"orderId": order_id, "callbackUrl": url},
        headers=caller.headers,
    )

    assert response.status_code == 400
    assert "callbackUrl" in response.json()["errorMessage"]
    assert (await status_of(client, caller, order_id)).json()["orders"][0]["orderStatus"] == "preliminary"


async def test_register__email_longer_than_320_once_lower_cased__400_naming_emails(
    client: httpx.AsyncClient, caller: Caller, database: Database
) -> None:
    email = '"' + "\u0130" * 300 + '"@example.no'  # İ lower-cases to two characters
    payer = {"lastName": "Long", "emails": [email]}

    response = await client.post(f"{CAPI}/client/order", json=order_body(payer=payer), headers=caller.headers)

    assert_bad_request(response, "payer.emails[0]")
    assert await stored(database) == (0, 0)


async def test_register__malformed_json__counted_with_rate_limit_headers(
    client: httpx.AsyncClient, caller: Caller
) -> None:
    headers = {**caller.headers, "Content-Type": "application/json"}
    first = await client.post(f"{CAPI}/client/order", content=b"{not json", headers=headers)
    second = await client.post(f"{CAPI}/client/order", content=b"{not json", headers=headers)

    assert (first.status_code, second.status_code) == (400, 400)
    assert int(second.headers["x-ratelimit-remaining"]) == int(first.headers["x-ratelimit-remaining"]) - 1


async def test_token__nul_in_http_basic_credentials__401_invalid_client(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=("a\x00b", "secret")
    )

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
