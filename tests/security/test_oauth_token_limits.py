"""`POST /oauth/token` under a flood of wrong secrets (issue 13, finding 3): failed attempts are
limited per client id and per address (429 with Retry-After, even for the right secret), and the
scrypt check runs off the event loop, so the rest of the API answers while it hashes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update

from orderdesk.app import create_app
from orderdesk.core.db import Database
from orderdesk.purchases.models import NewClient
from orderdesk.purchases.rules.secrets import ScryptCost, hash_secret
from orderdesk.purchases.service.clients import register_client
from orderdesk.purchases.tables import api_client
from orderdesk.settings import PurchaseSettings, Settings
from tests.conftest import Clock
from tests.support.processes import run_orderdesk, serving, wait_until_healthy

TOKEN = "/oauth/token"
PER_CLIENT = 3
PER_ADDRESS = 5
Connect = Callable[[str], httpx.AsyncClient]


@pytest.fixture
async def connect(settings: Settings, database: Database, clock: Clock) -> AsyncIterator[Connect]:
    """HTTP clients of one app (limits: 3 failures per client id, 5 per address), each calling from
    the address it is given."""
    limited = PurchaseSettings(token_failures_per_client=PER_CLIENT, token_failures_per_address=PER_ADDRESS)
    app = create_app(settings.model_copy(update={"purchases": limited}), clock=clock, database=database)
    opened: list[httpx.AsyncClient] = []

    def from_address(address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        http = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        opened.append(http)
        return http

    yield from_address
    for http in opened:
        await http.aclose()


async def registered(database: Database, name: str = "shop") -> NewClient:
    async with database.transaction() as connection:
        return await register_client(connection, name, datetime.now(UTC))


async def ask(http: httpx.AsyncClient, client_id: str, secret: str) -> httpx.Response:
    return await http.post(TOKEN, data={"grant_type": "client_credentials"}, auth=(client_id, secret))


def assert_too_many(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert 1 <= int(response.headers["retry-after"]) <= 900
    assert response.json()["error"] == "too_many_attempts"
    assert response.headers["cache-control"] == "no-store"


async def test_token__after_the_limit_of_wrong_secrets__even_the_right_one_429_with_retry_after(
    connect: Connect, database: Database
) -> None:
    shop = await registered(database)
    http = connect("198.51.100.1")

    wrong = [await ask(http, shop.client_id, "wrong") for _ in range(PER_CLIENT)]
    right = await ask(http, shop.client_id, shop.client_secret)

    assert [response.status_code for response in wrong] == [401] * PER_CLIENT
    assert_too_many(right)


async def test_token__one_client_locked__another_client_from_the_same_address_gets_its_token(
    connect: Connect, database: Database
) -> None:
    shop, other = await registered(database, "shop"), await registered(database, "other")
    http = connect("198.51.100.2")
    for _ in range(PER_CLIENT):
        await ask(http, shop.client_id, "wrong")

    response = await ask(http, other.client_id, other.client_secret)

    assert response.status_code == 200, response.text


async def test_token__one_address_locked__every_client_refused_there_but_not_from_another_address(
    connect: Connect, database: Database
) -> None:
    shop = await registered(database)
    attacker, elsewhere = connect("198.51.100.3"), connect("203.0.113.9")
    for number in range(PER_ADDRESS):
        assert (await ask(attacker, f"guess-{number}", "wrong")).status_code == 401

    from_attacker = await ask(attacker, shop.client_id, shop.client_secret)
    from_elsewhere = await ask(elsewhere, shop.client_id, shop.client_secret)

    assert_too_many(from_attacker)
    assert from_elsewhere.status_code == 200, from_elsewhere.text


async def test_token__wrong_secrets_from_one_ipv6_network__counted_together_per_64(
    connect: Connect, database: Database
) -> None:
    """An IPv6 host holds a whole /64: a new address per guess must not get a new allowance."""
    shop = await registered(database)
    for number in range(PER_ADDRESS):
        answer = await ask(connect(f"2001:db8:1:2::{number + 1:x}"), f"guess-{number}", "wrong")
        assert answer.status_code == 401

    same_network = await ask(connect("2001:db8:1:2:ffff::9"), shop.client_id, shop.client_secret)
    mapped_elsewhere = await ask(connect("::ffff:203.0.113.9"), shop.client_id, shop.client_secret)
    next_network = await ask(connect("2001:db8:1:3::1"), shop.client_id, shop.client_secret)

    assert_too_many(same_network)
    assert mapped_elsewhere.status_code == 200, mapped_elsewhere.text
    assert next_network.status_code == 200, next_network.text


async def test_token__right_secrets__never_counted(connect: Connect, database: Database) -> None:
    shop = await registered(database)
    http = connect("198.51.100.4")

    answers = [await ask(http, shop.client_id, shop.client_secret) for _ in range(PER_ADDRESS * 2)]

    assert [response.status_code for response in answers] == [200] * PER_ADDRESS * 2


async def test_openapi__token_endpoint__documents_429_with_retry_after(connect: Connect) -> None:
    document = (await connect("127.0.0.1").get("/openapi.json")).json()

    responses = document["paths"][TOKEN]["post"]["responses"]
    assert "Retry-After" in responses["429"]["headers"]
    assert "Retry-After" in responses["503"]["headers"]


EXPENSIVE = ScryptCost(log2_n=16, r=8, p=4)
"""About a second and a half per check on the CI machine: long enough that an answer given while the
checks run proves the loop was free, whatever the machine's speed."""


@pytest.mark.slow
async def test_token__eight_wrong_secrets_being_hashed__health_answers_before_any_of_them(
    tmp_path: Path, database_env: dict[str, str]
) -> None:
    home = tmp_path / "home"
    env = {**database_env, "ORDERDESK_PURCHASES_TOKEN_FAILURES_PER_CLIENT": "100"}
    with serving(home, env, "--no-worker") as server:
        await wait_until_healthy(server)
        added = run_orderdesk(home, "clients", "add", "shop", env=env)
        assert added.returncode == 0, added.stderr
        client_id = json.loads(added.stdout)["client_id"]
        url = env.get("ORDERDESK_DATABASE_URL") or f"sqlite+aiosqlite:///{home / 'orderdesk.db'}"
        store = Database.from_url(url)
        try:
            async with store.transaction() as connection:
                await connection.execute(
                    update(api_client)
                    .where(api_client.c.client_id == client_id)
                    .values(secret_hash=hash_secret("the right one", EXPENSIVE))
                )
        finally:
            await store.dispose()
        finished: list[str] = []
        limits = httpx.Limits(max_connections=20)
        async with httpx.AsyncClient(base_url=server.base_url, timeout=120, limits=limits) as http:

            async def attempt(number: int) -> httpx.Response:
                response = await ask(http, client_id, f"wrong-{number}")
                finished.append(f"attempt-{number}")
                return response

            attempts = [asyncio.create_task(attempt(number)) for number in range(8)]
            await asyncio.sleep(0.5)  # let the server start hashing them
            health = await http.get("/health")
            finished.append("health")
            answers = await asyncio.gather(*attempts)

    assert health.status_code == 200
    assert [answer.status_code for answer in answers] == [401] * 8
    assert finished[0] == "health", finished
