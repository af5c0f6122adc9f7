"""Absolute links are built on the configured public base URL, never on what a client sends.

A client (or anything between it and the service) choosing `Host` or `X-Forwarded-Proto` once
pointed `Location` and metalink links, with their order tokens, at a host of its choosing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from xml.etree import ElementTree

import httpx
import pytest

from orderdesk.core.db import Database
from orderdesk.dataorders.service.catalogue import import_dataset, read_folder
from tests.conftest import Tokens
from tests.factories.notifications import email_order
from tests.integration.dataorders.flow import API as DATA_API
from tests.integration.dataorders.flow import order_all
from tests.support.notifications_api import API
from tests.support.processes import run_orderdesk, serving, wait_until_healthy

HOSTILE = {"Host": "evil.example", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"}
BASE = "http://testserver"  # the public base URL the test settings configure
NS = {"m": "urn:ietf:params:xml:ns:metalink"}


@pytest.fixture
async def catalog(database: Database, tmp_path: Path) -> Path:
    root = tmp_path / "catalog"
    (root / "A").mkdir(parents=True)
    (root / "A" / "a1.txt").write_text("alpha one\n")
    entries = await read_folder(root)
    async with database.transaction() as connection:
        await import_dataset(connection, "ds1", root, entries, now=datetime.now(UTC))
    return root


async def test_new_notification_order__hostile_host__location_and_links_on_the_public_base_url(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    placed = await client.post(f"{API}/orders/email", json=email_order(), headers={**auth, **HOSTILE})
    assert placed.status_code == 202, placed.text
    order_id = placed.json()["orderId"]
    assert placed.headers["location"] == f"{BASE}{API}/orders/{order_id}"

    reads = [
        await client.get(f"{API}{path}", headers={**auth, **HOSTILE})
        for path in (f"/orders/{order_id}", f"/orders/{order_id}/status", "/orders?sendersReference=ref-1")
    ]
    assert [read.status_code for read in reads] == [200, 200, 200]
    assert all("evil.example" not in read.text for read in reads)
    assert reads[0].json()["links"]["self"] == f"{BASE}{API}/orders/{order_id}"


async def test_data_order_links__hostile_host__on_the_public_base_url(
    client: httpx.AsyncClient, tokens: Tokens, catalog: Path
) -> None:
    user = {**tokens.user("ola@example.com"), **HOSTILE}
    added = await client.post(f"{DATA_API}/order/basket/selection", json={"dataset": "ds1"}, headers=user)
    assert added.status_code == 200, added.text
    applied = await client.post(
        f"{DATA_API}/user/orders/apply", json={"queries": ["productId:A"]}, headers=user
    )
    order_id = await order_all(client, user, "ds1")

    metalink = await client.get(f"{DATA_API}/user/orders/{order_id}/metalink/download", headers=user)
    files = await client.get(f"{DATA_API}/user/orders/{order_id}/files", headers=user)

    assert metalink.status_code == 200, metalink.text
    urls = [url.text or "" for url in ElementTree.fromstring(metalink.content).iterfind(".//m:url", NS)]
    assert urls
    assert all(url.startswith(f"{BASE}{DATA_API}/orders/public/files/") for url in urls), urls
    assert applied.status_code == 200, applied.text
    assert applied.json()["downloadLink"].startswith(f"{BASE}{DATA_API}/user/orders/")
    assert files.status_code == 200, files.text
    assert [item["uri"].startswith(f"{BASE}{DATA_API}/") for item in files.json()["content"]] == [True]
    for answer in (applied, metalink, files):
        assert "evil.example" not in answer.text


def _place_order(base_url: str, home: Path, headers: dict[str, str]) -> httpx.Response:
    minted = run_orderdesk(home, "token", "--org", "ttd")
    assert minted.returncode == 0, minted.stderr
    auth = {"Authorization": f"Bearer {minted.stdout.strip()}", **headers}
    return httpx.post(f"{base_url}{API}/orders/email", json=email_order(), headers=auth, timeout=30)


@pytest.mark.slow
async def test_serve__forwarded_headers_from_loopback__ignored_without_trusted_proxies(
    tmp_path: Path, database_env: dict[str, str]
) -> None:
    env = {**database_env, "ORDERDESK_PUBLIC_BASE_URL": "https://orders.example.org/od/"}
    with serving(tmp_path, env, "--no-worker") as server:
        await wait_until_healthy(server)
        placed = _place_order(server.base_url, tmp_path, HOSTILE)

    assert placed.status_code == 202, placed.text
    order_id = placed.json()["orderId"]
    assert placed.headers["location"] == f"https://orders.example.org/od{API}/orders/{order_id}"


@pytest.mark.slow
async def test_serve__no_public_base_url__links_on_the_address_served(
    tmp_path: Path, database_env: dict[str, str]
) -> None:
    with serving(tmp_path, database_env, "--no-worker") as server:
        await wait_until_healthy(server)
        placed = _place_order(server.base_url, tmp_path, HOSTILE)

    assert placed.status_code == 202, placed.text
    assert placed.headers["location"] == f"{server.base_url}{API}/orders/{placed.json()['orderId']}"
