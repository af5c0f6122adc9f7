"""The metalink file lists every file of an order with links that work without a bearer token (the
order token in them): 202 while staging, the bytes once staged; forged tokens are refused."""

from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree

import httpx
import pytest

from orderdesk.dataorders.tasks import StagingWorker
from tests.conftest import Tokens
from tests.integration.dataorders.flow import API, files_of, order_all, stage_everything

NS = {"m": "urn:ietf:params:xml:ns:metalink"}


async def metalink_of(http: httpx.AsyncClient, user: dict[str, str], order_id: int) -> list[dict[str, str]]:
    response = await http.get(f"{API}/user/orders/{order_id}/metalink/download", headers=user)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/metalink4+xml"
    assert f"order_{order_id}_" in response.headers["content-disposition"]
    root = ElementTree.fromstring(response.content)
    return [
        {
            "name": entry.attrib["name"],
            "identity": entry.findtext("m:identity", namespaces=NS) or "",
            "size": entry.findtext("m:size", namespaces=NS) or "",
            "md5": entry.findtext("m:hash[@type='md5']", namespaces=NS) or "",
            "url": (entry.findtext("m:url", namespaces=NS) or "").removeprefix("http://testserver"),
        }
        for entry in root.findall("m:file", NS)
    ]


async def test_metalink__every_file__links_work_without_bearer_token(
    http: httpx.AsyncClient, user: dict[str, str], worker: StagingWorker, catalog: Path
) -> None:
    order_id = await order_all(http, user, "ds1")

    files = await metalink_of(http, user, order_id)

    assert sorted((item["name"], item["identity"], item["size"]) for item in files) == [
        ("a1.txt", "A", "10"),
        ("a2.csv", "A", "4"),
        ("b1.txt", "B", "1000"),
        ("top.dat", "top.dat", "3"),
    ]
    assert (await http.get(files[0]["url"])).status_code == 202  # still staging
    await stage_everything(worker)
    for item in files:
        head = await http.head(item["url"])
        assert (head.status_code, head.headers["content-length"]) == (200, item["size"])
        assert head.headers["content-md5-hex"] == item["md5"]
        assert set((await files_of(http, user, order_id)).values()) == {"AVAILABLE"}
    for item in files:
        response = await http.get(item["url"])
        assert response.status_code == 200
        assert hashlib.md5(response.content, usedforsecurity=False).hexdigest() == item["md5"]
    assert set((await files_of(http, user, order_id)).values()) == {"DOWNLOADED"}


async def test_metalink__by_order_token__same_document(
    http: httpx.AsyncClient, user: dict[str, str], catalog: Path
) -> None:
    order_id = await order_all(http, user, "ds1")
    files = await metalink_of(http, user, order_id)
    token = parse_qs(urlsplit(files[0]["url"]).query)["orderToken"][0]

    response = await http.get(f"{API}/user/orders/metalink/download", params={"orderToken": token})

    assert response.status_code == 200
    assert b"a1.txt" in response.content


@pytest.mark.parametrize("token", ["not-a-token", "eyJhbGciOiJIUzI1NiJ9.eyJvcmRlciI6MX0.c2lnbmF0dXJl"])
async def test_public_file__forged_token__401(
    http: httpx.AsyncClient, user: dict[str, str], catalog: Path, token: str
) -> None:
    order_id = await order_all(http, user, "ds1")
    files = await metalink_of(http, user, order_id)
    url = urlsplit(files[0]["url"]).path

    assert (await http.get(url, params={"orderToken": token})).status_code == 401
    assert (await http.get(url)).status_code == 400  # no token at all
    assert (
        await http.get(f"{API}/user/orders/metalink/download", params={"orderToken": token})
    ).status_code == 401


async def test_public_file__token_of_another_order__404(
    http: httpx.AsyncClient, user: dict[str, str], worker: StagingWorker, catalog: Path
) -> None:
    first = await metalink_of(http, user, await order_all(http, user, "ds1"))
    second = await metalink_of(http, user, await order_all(http, user, "ds1"))
    await stage_everything(worker)
    other_token = parse_qs(urlsplit(second[0]["url"]).query)["orderToken"][0]

    response = await http.get(urlsplit(first[0]["url"]).path, params={"orderToken": other_token})

    assert response.status_code == 404


async def test_metalink__another_users_order_or_deleted_order__404(
    http: httpx.AsyncClient, user: dict[str, str], tokens: Tokens, worker: StagingWorker, catalog: Path
) -> None:
    order_id = await order_all(http, user, "ds1")
    url = f"{API}/user/orders/{order_id}/metalink/download"
    assert (await http.get(url, headers=tokens.user("kari@example.com"))).status_code == 404
    await stage_everything(worker)
    assert (await http.delete(f"{API}/user/orders/{order_id}", headers=user)).status_code == 200

    response = await http.get(url, headers=user)

    assert response.status_code == 404
    assert "DELETED" in response.json()["detail"]


async def test_public_file__token_of_another_order__404_even_while_staging(
    http: httpx.AsyncClient, user: dict[str, str], catalog: Path
) -> None:
    first = await metalink_of(http, user, await order_all(http, user, "ds1"))
    second = await metalink_of(http, user, await order_all(http, user, "ds1"))
    other_token = parse_qs(urlsplit(second[0]["url"]).query)["orderToken"][0]

    url = urlsplit(first[0]["url"]).path
    assert (await http.get(url, params={"orderToken": other_token})).status_code == 404
    assert (await http.head(url, params={"orderToken": other_token})).status_code == 404
