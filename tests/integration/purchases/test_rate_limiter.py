"""The purchase API's rate limiter on real storages: 100 calls a second and 2000 a minute per caller,
counted in memory, in the database (shared by every process on it) or in Redis.

Memory and database windows follow a stopped test clock, so a burst lands in one window however long
it takes; Redis keeps its own time, so its burst is judged only when it was fast, and sent again when
it was not."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import pytest
from sqlalchemy import select

from orderdesk.core.db import Database
from orderdesk.purchases.ratelimit import RateDecision, RateLimiter
from orderdesk.purchases.tables import purchase_rate_limit
from orderdesk.settings import PurchaseSettings
from tests.conftest import Clock
from tests.support.windows import within_one_window

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
REQUIRE_REDIS = os.environ.get("ORDERDESK_TEST_REQUIRE_REDIS") == "1"

MakeLimiter = Callable[[PurchaseSettings], RateLimiter]


@pytest.fixture
async def make_limiter(database: Database, clock: Clock) -> AsyncIterator[MakeLimiter]:
    """Limiters on the test database and the stopped test clock, each as a separate API process would
    build it, closed after."""
    clock.stop()
    made: list[RateLimiter] = []

    def make(settings: PurchaseSettings) -> RateLimiter:
        limiter = RateLimiter.from_settings(settings, database, clock)
        made.append(limiter)
        return limiter

    yield make
    for limiter in made:
        await limiter.aclose()


@pytest.fixture(params=["memory", "database"])
def storage(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


@pytest.fixture
def redis_url() -> str:
    """Skips without a Redis on 127.0.0.1:6379, unless ORDERDESK_TEST_REQUIRE_REDIS=1 (as on CI)."""
    try:
        socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=1).close()
    except OSError as error:
        if REQUIRE_REDIS:
            pytest.fail(f"ORDERDESK_TEST_REQUIRE_REDIS=1 but Redis does not answer: {error}")
        pytest.skip(f"no Redis on {REDIS_HOST}:{REDIS_PORT}")
    return f"redis://{REDIS_HOST}:{REDIS_PORT}/0"


async def burst(limiter: RateLimiter, caller: str, calls: int) -> list[RateDecision]:
    """Calls sent at once, so that they land in the same second."""
    return list(await asyncio.gather(*(limiter.hit(caller) for _ in range(calls))))


async def test_hit__100_calls_within_a_second__allowed(make_limiter: MakeLimiter, storage: str) -> None:
    limiter = make_limiter(PurchaseSettings(rate_limit_storage=storage))

    decisions = await burst(limiter, "shop", 100)

    assert all(decision.allowed for decision in decisions)
    assert sorted(decision.remaining for decision in decisions) == list(range(100))


async def test_hit__101st_call_within_a_second__refused(make_limiter: MakeLimiter, storage: str) -> None:
    limiter = make_limiter(PurchaseSettings(rate_limit_storage=storage))

    await burst(limiter, "shop", 100)
    refused = await limiter.hit("shop")

    assert refused == RateDecision(allowed=False, remaining=0, reset_seconds=1)


async def test_hit__successive_calls__remaining_counts_down_and_the_minute_resets(
    make_limiter: MakeLimiter, storage: str
) -> None:
    limiter = make_limiter(PurchaseSettings(rate_limit_storage=storage))

    decisions = [await limiter.hit("shop") for _ in range(3)]

    assert [decision.remaining for decision in decisions] == [99, 98, 97]
    assert all(decision.allowed and decision.reset_seconds == 60 for decision in decisions)


async def test_hit__storage_keeps_its_own_time__counts_and_resets_within_the_minute(
    database: Database, storage: str
) -> None:
    """Without an injected clock: the process's time in memory, the database's in the database."""
    limiter = RateLimiter.from_settings(PurchaseSettings(rate_limit_storage=storage), database)

    decisions = [await limiter.hit("shop") for _ in range(3)]

    assert [decision.remaining for decision in decisions] == [99, 98, 97]
    assert all(decision.allowed and 1 <= decision.reset_seconds <= 60 for decision in decisions)
    await limiter.aclose()


async def test_hit__other_caller__has_its_own_count(make_limiter: MakeLimiter, storage: str) -> None:
    limiter = make_limiter(PurchaseSettings(rate_limit_storage=storage))
    await burst(limiter, "shop", 101)

    decision = await limiter.hit("other-shop")

    assert (decision.allowed, decision.remaining) == (True, 99)


async def test_hit__151st_call_within_a_minute__refused(make_limiter: MakeLimiter, storage: str) -> None:
    limiter = make_limiter(
        PurchaseSettings(rate_limit_storage=storage, rate_limit_per_second=1000, rate_limit_per_minute=150)
    )
    decisions = await burst(limiter, "shop", 150)

    refused = await limiter.hit("shop")

    assert all(decision.allowed for decision in decisions)
    assert (refused.allowed, refused.remaining) == (False, 0)
    assert 1 <= refused.reset_seconds <= 60


async def test_hit__refused_by_the_second_window__not_counted_in_the_minute(
    make_limiter: MakeLimiter, storage: str, clock: Clock
) -> None:
    limiter = make_limiter(
        PurchaseSettings(rate_limit_storage=storage, rate_limit_per_second=5, rate_limit_per_minute=8)
    )
    decisions = await burst(limiter, "shop", 10)
    assert [decision.allowed for decision in decisions].count(True) == 5
    # The next second: had the 5 refused calls counted, the minute (8) would be spent already.
    clock.advance(timedelta(seconds=1))

    decision = await limiter.hit("shop")

    assert (decision.allowed, decision.remaining) == (True, 2)


async def test_hit__caller_id_longer_than_the_key_column__counted(
    make_limiter: MakeLimiter, storage: str
) -> None:
    limiter = make_limiter(PurchaseSettings(rate_limit_storage=storage))

    decisions = [await limiter.hit("x" * 300) for _ in range(2)]

    assert [decision.remaining for decision in decisions] == [99, 98]


async def test_hit__two_processes_on_one_database__share_the_count(make_limiter: MakeLimiter) -> None:
    first, second = (make_limiter(PurchaseSettings(rate_limit_storage="database")) for _ in range(2))

    decisions = await asyncio.gather(burst(first, "shop", 60), burst(second, "shop", 41))

    allowed = [decision.allowed for process in decisions for decision in process]
    assert allowed.count(False) == 1


async def test_hit__two_processes_on_one_redis__share_the_count(
    make_limiter: MakeLimiter, redis_url: str
) -> None:
    first, second = (make_limiter(PurchaseSettings(rate_limit_storage=redis_url)) for _ in range(2))

    async def both_at_once() -> list[list[RateDecision]]:
        caller = f"shop-{uuid.uuid4()}"
        return list(await asyncio.gather(burst(first, caller, 60), burst(second, caller, 41)))

    decisions = await within_one_window(both_at_once)

    allowed = [decision.allowed for process in decisions for decision in process]
    assert allowed.count(False) == 1


async def test_from_settings__auto__shares_counts_on_postgresql_only(
    make_limiter: MakeLimiter, backend: str
) -> None:
    first, second = (make_limiter(PurchaseSettings(rate_limit_storage="auto")) for _ in range(2))
    await first.hit("shop")

    decision = await second.hit("shop")

    assert decision.remaining == (98 if backend == "postgres" else 99)


async def test_hit__windows_ended_before_the_process_started__rows_deleted(
    make_limiter: MakeLimiter, database: Database
) -> None:
    async with database.transaction() as connection:
        await connection.execute(purchase_rate_limit.insert().values(key="old", hits=3, expires_at=0.0))
    limiter = make_limiter(PurchaseSettings(rate_limit_storage="database"))

    await limiter.hit("shop")

    async with database.transaction() as connection:
        keys = (await connection.execute(select(purchase_rate_limit.c.key))).scalars().all()
    assert "old" not in keys
    assert len(keys) == 2


def test_from_settings__unknown_storage__value_error(database: Database) -> None:
    with pytest.raises(ValueError, match="rate_limit_storage"):
        RateLimiter.from_settings(PurchaseSettings(rate_limit_storage="memcached://x:11211"), database)
