"""`orderdesk serve` as a real process: it creates and migrates its database, accepts the tokens
`orderdesk token` prints on the same home, and serves the whole order life cycle over a socket."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest

from tests.factories.notifications import email_order, in_future
from tests.support.processes import run_orderdesk, serving, wait_until_healthy

pytestmark = pytest.mark.slow

API = "/notifications/api/v1"


def mint_token(home: Path, env: dict[str, str]) -> dict[str, str]:
    result = run_orderdesk(home, "token", "--org", "ttd", env=env)
    assert result.returncode == 0, result.stderr
    return {"Authorization": f"Bearer {result.stdout.strip()}"}


async def test_serve__fresh_home__serves_the_order_life_cycle(
    tmp_path: Path, database_env: dict[str, str]
) -> None:
    home = tmp_path / "home"
    with serving(home, database_env) as server:
        health = await wait_until_healthy(server)
        assert health == {
            "status": "ok",
            "database": "postgresql" if database_env else "sqlite",
        }
        auth = mint_token(home, database_env)
        async with httpx.AsyncClient(base_url=server.base_url, headers=auth) as http:
            placed = await http.post(
                f"{API}/orders/email",
                json=email_order(sendersReference="serve-1", requestedSendTime=in_future(hours=2)),
            )
            assert placed.status_code == 202, placed.text
            order_id = placed.json()["orderId"]
            assert placed.headers["location"] == f"{server.base_url}{API}/orders/{order_id}"

            got = await http.get(f"{API}/orders/{order_id}")
            assert got.status_code == 200
            assert got.json()["creator"] == "ttd"
            assert got.json()["links"]["status"] == f"{server.base_url}{API}/orders/{order_id}/status"

            found = await http.get(f"{API}/orders", params={"sendersReference": "serve-1"})
            assert [order["id"] for order in found.json()["orders"]] == [order_id]

            status = await http.get(f"{API}/orders/{order_id}/status")
            assert status.json()["processingStatus"]["status"] == "Registered"

            cancelled = await http.put(f"{API}/orders/{order_id}/cancel")
            assert cancelled.status_code == 200
            assert cancelled.json()["processingStatus"]["status"] == "Cancelled"

            after = await http.get(f"{API}/orders/{order_id}/status")
            assert after.json()["processingStatus"]["status"] == "Cancelled"

            unauthenticated = await http.get(f"{API}/orders/{order_id}", headers={"Authorization": ""})
            assert unauthenticated.status_code == 401
    assert server.process.returncode is not None


async def test_serve__restarted_on_the_same_home__keeps_orders_and_accepts_old_tokens(
    tmp_path: Path, database_env: dict[str, str]
) -> None:
    home = tmp_path / "home"
    with serving(home, database_env) as server:
        await wait_until_healthy(server)
        auth = mint_token(home, database_env)
        async with httpx.AsyncClient(base_url=server.base_url, headers=auth) as http:
            placed = await http.post(f"{API}/orders/email", json=email_order())
            order_id = placed.json()["orderId"]

    with serving(home, database_env) as server:
        await wait_until_healthy(server)
        async with httpx.AsyncClient(base_url=server.base_url, headers=auth) as http:
            got = await http.get(f"{API}/orders/{order_id}")
            assert got.status_code == 200
            assert got.json()["id"] == order_id


async def test_serve__two_servers_starting_on_one_fresh_home__both_serve_the_same_orders(
    tmp_path: Path, database_env: dict[str, str]
) -> None:
    home = tmp_path / "home"
    with serving(home, database_env) as first, serving(home, database_env) as second:
        await asyncio.gather(wait_until_healthy(first), wait_until_healthy(second))
        auth = mint_token(home, database_env)
        async with httpx.AsyncClient(headers=auth) as http:
            placed = await http.post(f"{first.base_url}{API}/orders/email", json=email_order())
            assert placed.status_code == 202, placed.text
            got = await http.get(f"{second.base_url}{API}/orders/{placed.json()['orderId']}")
            assert got.status_code == 200


async def test_serve__json_log_format__writes_one_json_object_per_line(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with serving(home, {"ORDERDESK_LOG_FORMAT": "json"}) as server:
        await wait_until_healthy(server)
        async with httpx.AsyncClient(base_url=server.base_url) as http:
            assert (await http.get("/notifications/api/v1/orders/1")).status_code == 401
    records = [json.loads(line) for line in server.log.read_text().splitlines() if line.startswith("{")]
    assert records, server.log.read_text()
    assert all({"event", "level", "timestamp"} <= record.keys() for record in records)
    assert any(record.get("path") == "/notifications/api/v1/orders/1" for record in records)
