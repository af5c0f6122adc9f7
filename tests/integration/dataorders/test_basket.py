"""The basket of the data-order API: what a user can add, see and empty, and the answers to bad
selections. Each user has a basket of their own."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from orderdesk.core.db import Database
from orderdesk.dataorders.service.catalogue import import_dataset, read_folder
from tests.conftest import Tokens

BASKET = "/api/v1/rs-order/order/basket"


@pytest.fixture
def user(tokens: Tokens, catalog: Path) -> dict[str, str]:
    return tokens.user("ola@example.com")


async def add(client: httpx.AsyncClient, user: dict[str, str], body: dict[str, Any]) -> httpx.Response:
    return await client.post(f"{BASKET}/selection", json=body, headers=user)


async def test_add_whole_dataset__every_file_counted(client: httpx.AsyncClient, user: dict[str, str]) -> None:
    response = await add(client, user, {"dataset": "ds1"})

    assert response.status_code == 200
    body = response.json()
    assert body["owner"] == "ola@example.com"
    assert (body["filesCount"], body["filesSize"]) == (4, 10 + 4 + 1000 + 3)
    [selection] = body["selections"]
    assert (selection["dataset"], selection["productsCount"], selection["productIds"]) == ("ds1", 3, None)


@pytest.mark.parametrize(
    ("selection", "files", "size"),
    [
        ({"productIds": ["A"]}, 2, 14),
        ({"query": "productId:(A OR top.dat)"}, 3, 17),
        ({"query": "productId:B"}, 1, 1000),
        ({"filenameRegExp": r".*\.txt"}, 2, 1010),
        ({"productIds": ["A", "B"], "filenameRegExp": r"a\d\.csv"}, 1, 4),
    ],
)
async def test_add_selection__products_query_and_filename_pattern(
    client: httpx.AsyncClient, user: dict[str, str], selection: dict[str, Any], files: int, size: int
) -> None:
    response = await add(client, user, {"dataset": "ds1", **selection})

    assert response.status_code == 200, response.text
    assert (response.json()["filesCount"], response.json()["filesSize"]) == (files, size)


async def test_basket__two_selections__view_then_empty(
    client: httpx.AsyncClient, user: dict[str, str]
) -> None:
    await add(client, user, {"dataset": "ds1", "productIds": ["A"]})
    await add(client, user, {"dataset": "ds1", "productIds": ["B"]})

    viewed = await client.get(BASKET, headers=user)
    assert viewed.status_code == 200
    assert [s["productIds"] for s in viewed.json()["selections"]] == [["A"], ["B"]]

    emptied = await client.delete(BASKET, headers=user)
    assert emptied.status_code == 204
    assert (await client.get(BASKET, headers=user)).json()["selections"] == []


async def test_basket__belongs_to_its_user(
    client: httpx.AsyncClient, user: dict[str, str], tokens: Tokens
) -> None:
    await add(client, user, {"dataset": "ds1"})

    other = await client.get(BASKET, headers=tokens.user("kari@example.com"))

    assert other.json() == {"owner": "kari@example.com", "selections": [], "filesCount": 0, "filesSize": 0}


@pytest.mark.parametrize(
    "selection",
    [{"productIds": ["nope"]}, {"query": "productId:(nope OR nada)"}, {"filenameRegExp": r".*\.xml"}],
)
async def test_add_selection__nothing_matches__204_and_nothing_added(
    client: httpx.AsyncClient, user: dict[str, str], selection: dict[str, Any]
) -> None:
    response = await add(client, user, {"dataset": "ds1", **selection})

    assert response.status_code == 204
    assert response.content == b""
    assert (await client.get(BASKET, headers=user)).json()["selections"] == []


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"dataset": "unknown"}, 404, None),
        ({"dataset": "ds1", "filenameRegExp": "(unclosed"}, 400, "filenameRegExp"),
        ({"dataset": "ds1", "filenameRegExp": "(?<=a)b"}, 400, "filenameRegExp"),  # RE2: no look-behind
        ({"dataset": "ds1", "query": "title:foo"}, 400, "query"),
        ({"dataset": "ds1", "query": "productId:()"}, 400, "query"),
        ({"dataset": "ds1", "query": "productId:A", "productIds": ["A"]}, 400, "query"),
        ({"dataset": "ds1", "productIds": []}, 400, "productIds"),
        ({"dataset": ""}, 400, "dataset"),
        ({"dataset": "ds1\u0000"}, 400, "dataset"),
        ({"dataset": "ds1", "unknownField": 1}, 400, "unknownField"),
    ],
)
async def test_add_selection__bad_input__problem_naming_the_field_and_nothing_added(
    client: httpx.AsyncClient, user: dict[str, str], body: dict[str, Any], status: int, field: str | None
) -> None:
    response = await add(client, user, body)

    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    if field is not None:
        assert field in response.json()["errors"]
    assert (await client.get(BASKET, headers=user)).json()["selections"] == []


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer not-a-token"}])
async def test_basket__without_a_valid_token__401(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    assert (await client.get(BASKET, headers=headers)).status_code == 401


async def test_basket__service_owner_token__401(
    client: httpx.AsyncClient, tokens: Tokens, catalog: Path
) -> None:
    assert (await client.get(BASKET, headers=tokens.bearer("ttd"))).status_code == 401


async def test_basket__user_token_naming_no_user__403(
    client: httpx.AsyncClient, tokens: Tokens, catalog: Path
) -> None:
    assert (await client.get(BASKET, headers=tokens.user(""))).status_code == 403


@pytest.mark.parametrize("pattern", [r"(\w+)+\.txt", "(a|aa)+$", "a{99999999999}"])
async def test_add_selection__pathological_pattern__answered_at_once_server_stays_up(
    client: httpx.AsyncClient, user: dict[str, str], catalog: Path, database: Database, pattern: str
) -> None:
    """With a backtracking engine these take minutes per long name (or overflow); RE2 is linear."""
    (catalog / "long").mkdir()
    (catalog / "long" / ("S1A_" + "1" * 60 + ".nc")).write_bytes(b"x")
    (catalog / "long" / ("a" * 60 + "b")).write_bytes(b"y")
    async with database.transaction() as connection:
        await import_dataset(connection, "ds1", catalog, await read_folder(catalog), now=datetime.now(UTC))

    response = await add(client, user, {"dataset": "ds1", "productIds": ["long"], "filenameRegExp": pattern})

    assert response.status_code in (204, 400)
    assert (await client.get("/health", headers=user)).status_code == 200
