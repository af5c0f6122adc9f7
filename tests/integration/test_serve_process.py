"""`orderdesk serve` as a real process: it creates and migrates its database, accepts the tokens
`orderdesk token` prints on the same home, and serves the whole order life cycle over a socket."""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import POSTGRES_URL
from tests.factories.notifications import email_order, in_future
from tests.processes import (
    free_port,
    fresh_postgres_database,
    orderdesk_env,
    orderdesk_executable,
    run_orderdesk,
)

pytestmark = pytest.mark.slow

API = "/notifications/api/v1"
_STARTUP_DEADLINE_SECONDS = 60.0
SERVE_BACKENDS = ["sqlite", *(["postgres"] if POSTGRES_URL else [])]


@dataclass
class Server:
    base_url: str
    process: subprocess.Popen[bytes]
    log: Path


@pytest.fixture(params=SERVE_BACKENDS)
async def database_env(request: pytest.FixtureRequest) -> AsyncIterator[dict[str, str]]:
    """No setting for SQLite (the file in the home); a fresh database of its own for PostgreSQL."""
    if request.param == "sqlite":
        yield {}
        return
    yield {"ORDERDESK_DATABASE_URL": await fresh_postgres_database(POSTGRES_URL, "serve")}


@contextmanager
def serving(home: Path, env: dict[str, str], *args: str) -> Iterator[Server]:
    """`orderdesk serve ARGS` on a free port; always stopped when the block ends."""
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = home / f"serve-{port}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [orderdesk_executable(), "serve", "--port", str(port), *args],
            env=orderdesk_env(home, env),
            cwd=home,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        yield Server(base_url=f"http://127.0.0.1:{port}", process=process, log=log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def wait_until_healthy(server: Server) -> dict[str, str]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + _STARTUP_DEADLINE_SECONDS
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        while True:
            if server.process.poll() is not None:
                pytest.fail(f"orderdesk serve exited early:\n{server.log.read_text()}")
            try:
                response = await http.get("/health")
                if response.status_code == 200:
                    health: dict[str, str] = response.json()
                    return health
            except httpx.TransportError:
                pass
            if loop.time() > deadline:
                pytest.fail(f"orderdesk serve never became healthy:\n{server.log.read_text()}")
            await asyncio.sleep(0.1)


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
    assert any("/notifications/api/v1/orders/1" in record["event"] for record in records)
