"""Rate limits of the purchase API through HTTP: 100 calls a second and 2000 a minute per client,
429 beyond, `X-RateLimit-Remaining` and `X-RateLimit-Reset` on every answer, errors included; one
client's calls never count against another's.

The app's windows follow the test clock, stopped where a burst must land in one window."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest

from orderdesk.app import create_app
from orderdesk.core.db import Database
from orderdesk.settings import PurchaseSettings, Settings
from tests.conftest import Clock
from tests.support.purchases_api import CAPI, Caller, load_catalog, order_body, register, register_caller

A_SECOND = timedelta(seconds=1)


async def burst(http: httpx.AsyncClient, caller: Caller, order_id: int, calls: int) -> list[httpx.Response]:
    """`calls` status reads sent at once, so that they land in the same second."""
    url = f"{CAPI}/client/order/status/{order_id}"
    return list(await asyncio.gather(*(http.get(url, headers=caller.headers) for _ in range(calls))))


async def test_101_calls_within_a_second__the_101st_throttled(
    client: httpx.AsyncClient, caller: Caller, clock: Clock
) -> None:
    clock.stop()
    order_id = await register(client, caller, order_body())
    clock.advance(A_SECOND)  # a fresh per-second window: registering counted as a call

    answers = await burst(client, caller, order_id, 101)

    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [200] * 100 + [429]
    refused = next(answer for answer in answers if answer.status_code == 429)
    assert refused.json()["exceptionType"] == "TooManyRequestsException"
    assert refused.headers["x-ratelimit-remaining"] == "0"
    assert refused.headers["x-ratelimit-reset"] == "1"
    assert refused.headers["retry-after"] == "1"


async def test_every_answer__rate_limit_headers_counting_down(
    client: httpx.AsyncClient, caller: Caller, clock: Clock
) -> None:
    clock.stop()
    order_id = await register(client, caller, order_body())
    clock.advance(A_SECOND)

    found = await client.get(f"{CAPI}/client/order/status/{order_id}", headers=caller.headers)
    missing = await client.get(f"{CAPI}/client/order/status/999999", headers=caller.headers)
    invalid = await client.post(f"{CAPI}/client/order", json={}, headers=caller.headers)

    assert [found.status_code, missing.status_code, invalid.status_code] == [200, 404, 400]
    remaining = [int(answer.headers["x-ratelimit-remaining"]) for answer in (found, missing, invalid)]
    assert remaining == [99, 98, 97]
    for answer in (found, missing, invalid):
        assert 0 < int(answer.headers["x-ratelimit-reset"]) <= 60


async def test_one_client_throttled__another_client_still_served(
    client: httpx.AsyncClient, database: Database, caller: Caller, clock: Clock
) -> None:
    clock.stop()
    order_id = await register(client, caller, order_body())
    other = await register_caller(client, database, "other shop")
    other_order = await register(client, other, order_body())
    clock.advance(A_SECOND)

    await burst(client, caller, order_id, 101)
    answer = await client.get(f"{CAPI}/client/order/status/{other_order}", headers=other.headers)

    assert answer.status_code == 200
    assert int(answer.headers["x-ratelimit-remaining"]) >= 98


@pytest.fixture
async def minute_limited(
    settings: Settings, database: Database, clock: Clock
) -> AsyncIterator[httpx.AsyncClient]:
    """The per-minute window made small enough to reach in a test: 30 a minute, 1000 a second."""
    limited = settings.model_copy(
        update={"purchases": PurchaseSettings(rate_limit_per_second=1000, rate_limit_per_minute=30)}
    )
    app = create_app(limited, clock=clock, database=database)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        yield http


async def test_more_calls_in_a_minute_than_allowed__throttled_until_the_minute_ends(
    minute_limited: httpx.AsyncClient, database: Database
) -> None:
    await load_catalog(database)
    caller = await register_caller(minute_limited, database)
    order_id = await register(minute_limited, caller, order_body())

    answers = await burst(minute_limited, caller, order_id, 30)

    assert sorted(answer.status_code for answer in answers) == [200] * 29 + [429]
    refused = next(answer for answer in answers if answer.status_code == 429)
    assert 1 < int(refused.headers["x-ratelimit-reset"]) <= 60


async def test_shared_database_storage__two_api_processes__one_count(
    settings: Settings, database: Database, clock: Clock
) -> None:
    """Two apps stand for two API processes: with the database storage their counts are one.

    Counted in a per-second window of 101 calls on the stopped clock, registering the order the
    first."""
    clock.stop()
    limits = PurchaseSettings(
        rate_limit_storage="database", rate_limit_per_second=101, rate_limit_per_minute=2000
    )
    shared = settings.model_copy(update={"purchases": limits})
    first, second = (create_app(shared, clock=clock, database=database) for _ in range(2))
    await load_catalog(database)
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=first), base_url="http://one") as one,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=second), base_url="http://two") as two,
    ):
        caller = await register_caller(one, database)
        order_id = await register(one, caller, order_body())  # the minute's first call
        url = f"{CAPI}/client/order/status/{order_id}"
        answers = await asyncio.gather(
            *(http.get(url, headers=caller.headers) for http in [one] * 60 + [two] * 41)
        )

    assert sorted(answer.status_code for answer in answers) == [200] * 100 + [429]
