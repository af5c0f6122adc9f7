"""A method a path does not take: 405 with `Allow` naming every method of the path, in the family's
error body, also where a parameter route could take the path for one of its ids."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import Tokens
from tests.support.wire import PROBLEM

NOTIFICATIONS = "/notifications/api/v1"
DATA = "/api/v1/rs-order"


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("GET", f"{NOTIFICATIONS}/orders/email", "POST"),
        ("GET", f"{NOTIFICATIONS}/orders/sms", "POST"),
        ("PUT", f"{NOTIFICATIONS}/orders/email", "POST"),
        ("OPTIONS", f"{NOTIFICATIONS}/orders", "GET, POST"),
        ("DELETE", f"{NOTIFICATIONS}/orders", "GET, POST"),
        ("OPTIONS", f"{NOTIFICATIONS}/reports/kannel", "GET, POST"),
        ("GET", f"{DATA}/user/orders/apply", "POST"),
        ("OPTIONS", f"{DATA}/order/basket", "DELETE, GET"),
        ("OPTIONS", f"{DATA}/user/orders", "GET, POST"),
        ("OPTIONS", f"{DATA}/user/orders/1", "DELETE, GET"),
        ("OPTIONS", f"{DATA}/orders/public/files/e3e70682-c209-4cac-a29f-6fbed82c07cd", "GET, HEAD"),
        ("GET", "/oauth/token", "POST"),
    ],
)
async def test_wrong_method__405_problem_with_allow_listing_every_method_of_the_path(
    client: httpx.AsyncClient, tokens: Tokens, method: str, path: str, allow: str
) -> None:
    headers = tokens.user() if path.startswith(DATA) else tokens.bearer("ttd")
    response = await client.request(method, path, headers=headers)

    assert response.status_code == 405
    assert response.headers["allow"] == allow
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["status"] == 405


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("OPTIONS", "/capi/v1/order/status", "GET, POST"),
        ("DELETE", "/capi/v1/client/order", "POST"),
        ("GET", "/capi/v1/client/order/fulfillment", "POST"),
    ],
)
async def test_wrong_method__purchase_api__405_in_its_own_body_with_allow(
    client: httpx.AsyncClient, method: str, path: str, allow: str
) -> None:
    response = await client.request(method, path)

    assert response.status_code == 405
    assert response.headers["allow"] == allow
    assert response.json()["exceptionType"] == "MethodNotAllowedException"


async def test_body_over_the_limit__purchase_api__413_in_its_own_body(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/capi/v1/client/order",
        content=b"{}",
        headers={"Content-Length": str(64 * 1024 * 1024), "Content-Type": "application/json"},
    )

    assert response.status_code == 413
    assert response.json()["exceptionType"] == "PayloadTooLargeException"


async def test_openapi_document__every_operation__documents_405_with_allow_in_its_family_body(
    client: httpx.AsyncClient,
) -> None:
    document = (await client.get("/openapi.json")).json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            documented = operation["responses"]["405"]
            assert "Allow" in documented["headers"], f"{method} {path}"
            media_type = "application/json" if path.startswith("/capi/") else PROBLEM
            assert list(documented["content"]) == [media_type], f"{method} {path}"
