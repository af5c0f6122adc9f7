"""Placing a data order from the basket and reading it back: the files it holds per dataset, its
sub-orders sized by the settings, labels unique per user, and nothing of another user visible."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Tokens

API = "/api/v1/rs-order"


@pytest.fixture
def user(tokens: Tokens, catalog: Path) -> dict[str, str]:
    return tokens.user("ola@example.com")


async def basket_with(client: httpx.AsyncClient, user: dict[str, str], **selection: Any) -> None:
    response = await client.post(
        f"{API}/order/basket/selection", json={"dataset": "ds1", **selection}, headers=user
    )
    assert response.status_code == 200, response.text


async def place(
    client: httpx.AsyncClient, user: dict[str, str], body: dict[str, Any] | None = None
) -> httpx.Response:
    return await client.post(f"{API}/user/orders", json=body or {}, headers=user)


async def test_place_order__from_the_basket__201_pending_and_the_basket_emptied(
    client: httpx.AsyncClient, user: dict[str, str]
) -> None:
    await basket_with(client, user)

    response = await place(client, user, {"label": "My order", "onSuccessUrl": "https://example.com/done"})

    assert response.status_code == 201, response.text
    order = response.json()
    assert (order["label"], order["owner"], order["status"]) == ("My order", "ola@example.com", "PENDING")
    assert order["datasetTasks"] == [
        {"datasetLabel": "ds1", "objectsCount": 3, "filesCount": 4, "filesSize": 1017}
    ]
    assert (order["percentCompleted"], order["availableFilesCount"], order["filesInErrorCount"]) == (0, 0, 0)
    assert order["onSuccessUrl"] == "https://example.com/done"
    assert (await client.get(f"{API}/order/basket", headers=user)).json()["selections"] == []

    read = await client.get(f"{API}/user/orders/{order['id']}", headers=user)
    assert read.status_code == 200
    assert read.json() == order


async def test_place_order__empty_basket__204(client: httpx.AsyncClient, user: dict[str, str]) -> None:
    response = await place(client, user)
    assert response.status_code == 204
    listed = await client.get(f"{API}/user/orders", headers=user)
    assert listed.json()["metadata"]["totalElements"] == 0


async def test_place_order__same_label_twice__the_second_gets_a_number(
    client: httpx.AsyncClient, user: dict[str, str]
) -> None:
    labels = []
    for _ in range(2):
        await basket_with(client, user, productIds=["A"])
        labels.append((await place(client, user, {"label": "Weekly"})).json()["label"])
    assert labels == ["Weekly", "Weekly (2)"]


async def test_list_orders__newest_first__paged(client: httpx.AsyncClient, user: dict[str, str]) -> None:
    ids = []
    for label in ("one", "two", "three"):
        await basket_with(client, user, productIds=["B"])
        ids.append((await place(client, user, {"label": label})).json()["id"])

    first = (await client.get(f"{API}/user/orders", params={"page": 0, "size": 2}, headers=user)).json()
    second = (await client.get(f"{API}/user/orders", params={"page": 1, "size": 2}, headers=user)).json()

    assert first["metadata"] == {"number": 0, "size": 2, "totalElements": 3, "totalPages": 2}
    assert [o["id"] for o in first["content"] + second["content"]] == list(reversed(ids))


async def test_order_of_another_user_and_unknown__404(
    client: httpx.AsyncClient, user: dict[str, str], tokens: Tokens
) -> None:
    await basket_with(client, user)
    order_id = (await place(client, user)).json()["id"]
    other = tokens.user("kari@example.com")

    assert (await client.get(f"{API}/user/orders/{order_id}", headers=other)).status_code == 404
    assert (await client.get(f"{API}/user/orders/{order_id + 1000}", headers=user)).status_code == 404
    assert (await client.get(f"{API}/user/orders", headers=other)).json()["metadata"]["totalElements"] == 0


async def test_order_of_another_user__admin_token__read_but_not_changed(
    client: httpx.AsyncClient, user: dict[str, str], tokens: Tokens
) -> None:
    await basket_with(client, user)
    order_id = (await place(client, user)).json()["id"]
    admin = tokens.user("admin@example.com", role="ADMIN")

    order = await client.get(f"{API}/user/orders/{order_id}", headers=admin)
    files = await client.get(f"{API}/user/orders/{order_id}/files", headers=admin)
    available = await client.get(f"{API}/user/orders/{order_id}/files/available", headers=admin)
    paused = await client.put(f"{API}/user/orders/pause/{order_id}", headers=admin)
    own_list = await client.get(f"{API}/user/orders", headers=admin)

    assert order.status_code == 200, order.text
    assert order.json()["owner"] == "ola@example.com"
    assert files.status_code == 200
    assert files.json()["metadata"]["totalElements"] == 4
    assert available.status_code in (204, 206)
    assert paused.status_code == 404
    assert own_list.json()["metadata"]["totalElements"] == 0
    assert (await client.get(f"{API}/user/orders/{order_id + 1000}", headers=admin)).status_code == 404


@pytest.mark.parametrize(
    ("request_", "status"),
    [
        (("GET", "/user/orders/abc"), 400),
        (("GET", "/user/orders/0"), 400),
        (("GET", "/user/orders?size=0"), 400),
        (("GET", "/user/orders?size=10000"), 400),
        (("POST", "/user/orders", {"label": ""}), 400),
        (("POST", "/user/orders", {"label": "x" * 51}), 400),
        (("POST", "/user/orders", {"other": 1}), 400),
    ],
)
async def test_bad_input__400_problem(
    client: httpx.AsyncClient, user: dict[str, str], request_: tuple[Any, ...], status: int
) -> None:
    method, path, *body = request_
    response = await client.request(method, f"{API}{path}", json=body[0] if body else None, headers=user)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
