"""Per-caller rate limits of the purchase API (calls per second and per minute, fixed windows), counted
in process memory, in the database or in Redis so that every API process sees the same counts.

Windows follow a clock: by default each storage's own (the process's, the database's, Redis's); an
injected `Clock` replaces it for the memory and database storages, so tests decide when a window ends
instead of racing the wall clock.
"""

from __future__ import annotations

import hashlib
import importlib.util
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import structlog
from limits import RateLimitItem, RateLimitItemPerMinute, RateLimitItemPerSecond
from limits.aio.storage import RedisStorage, Storage
from limits.aio.storage.redis.redispy import RedispyBridge
from limits.aio.strategies import FixedWindowRateLimiter
from limits.util import WindowStats
from sqlalchemy.exc import SQLAlchemyError

from orderdesk.core.clock import Clock
from orderdesk.core.db import Database
from orderdesk.observability import metrics
from orderdesk.purchases.repository import rate_limits
from orderdesk.settings import PurchaseSettings

__all__ = ["FailedAttempts", "RateDecision", "RateLimiter"]

_log = structlog.get_logger(__name__)

_NAMESPACE = "PURCHASE"
_TOKEN_NAMESPACE = "OAUTH-FAILURES"
_KEY_LENGTH = 250  # purchase_rate_limit.key
_CLEANUP_SECONDS = 60.0
_SETTING = "rate_limit_storage (ORDERDESK_PURCHASES_RATE_LIMIT_STORAGE)"

EpochClock = Callable[[], float]
"""Seconds since the epoch, as `time.time` gives them."""


def _epoch_clock(clock: Clock | None) -> EpochClock:
    if clock is None:
        return time.time
    return lambda: clock().timestamp()


@dataclass(frozen=True, slots=True)
class RateDecision:
    """What one call of a caller was told: whether it may proceed, and the two rate-limit headers."""

    allowed: bool
    remaining: int
    """Calls left before a 429, the smaller of both windows (X-RateLimit-Remaining)."""
    reset_seconds: int
    """Whole seconds until the binding window starts again (X-RateLimit-Reset)."""


class RateLimiter:
    """Counts calls per caller in a per-second and a per-minute fixed window.

    A call refused by the per-second window is not counted in the per-minute one, so a burst that is
    turned away does not use up the caller's minute.
    """

    def __init__(
        self, storage: Storage, *, per_second: int, per_minute: int, clock: EpochClock = time.time
    ) -> None:
        self._storage = storage
        self._clock = clock
        self._window = _FixedWindow(storage)
        self._second = RateLimitItemPerSecond(per_second, namespace=_NAMESPACE)
        self._minute = RateLimitItemPerMinute(per_minute, namespace=_NAMESPACE)

    @classmethod
    def from_settings(
        cls, settings: PurchaseSettings, database: Database, clock: Clock | None = None
    ) -> RateLimiter:
        """Raises ValueError when `rate_limit_storage` names no known storage. Without `clock`, every
        storage keeps its own time."""
        return cls(
            _storage_for(settings.rate_limit_storage, database, clock),
            per_second=settings.rate_limit_per_second,
            per_minute=settings.rate_limit_per_minute,
            clock=_epoch_clock(clock),
        )

    async def hit(self, caller: str) -> RateDecision:
        """Count one call of `caller`; storage errors (database, Redis) are raised as they come."""
        second_allowed, second = await self._window.hit_with_stats(self._second, caller)
        if not second_allowed:
            metrics.rate_limit_refused("purchase-calls-per-second")
            return RateDecision(False, 0, _seconds_until(second.reset_time, self._clock()))
        minute_allowed, minute = await self._window.hit_with_stats(self._minute, caller)
        # A spent minute binds even when the second is spent too: waiting a second would not help.
        binding = second if second.remaining == 0 and minute.remaining > 0 else minute
        if not minute_allowed:
            metrics.rate_limit_refused("purchase-calls-per-minute")
        return RateDecision(
            minute_allowed,
            min(second.remaining, minute.remaining),
            _seconds_until(binding.reset_time, self._clock()),
        )

    async def aclose(self) -> None:
        await _close_storage(self._storage)


async def _close_storage(storage: Storage) -> None:
    if isinstance(storage, RedisStorage) and isinstance(storage.bridge, RedispyBridge):
        await storage.bridge.storage.aclose()


class FailedAttempts:
    """Failed sign-ins of `/oauth/token`, counted per client id and per client address in a fixed
    window each, in the same storage as the call limits (so every API process sees the same counts).

    An attempt is counted when it starts and given back when it succeeds or is refused unchecked:
    concurrent attempts cannot slip past the limit, and neither a client that knows its secret nor
    one retrying after a 429 uses any of it up.
    """

    def __init__(
        self,
        storage: Storage,
        *,
        per_client: int,
        per_address: int,
        window_seconds: int,
        clock: EpochClock = time.time,
    ) -> None:
        self._storage = storage
        self._clock = clock
        self._window = FixedWindowRateLimiter(storage)
        self._client = RateLimitItemPerSecond(per_client, window_seconds, namespace=_TOKEN_NAMESPACE)
        self._address = RateLimitItemPerSecond(per_address, window_seconds, namespace=_TOKEN_NAMESPACE)

    @classmethod
    def from_settings(
        cls, settings: PurchaseSettings, database: Database, clock: Clock | None = None
    ) -> FailedAttempts:
        """Raises ValueError when `rate_limit_storage` names no known storage."""
        return cls(
            _storage_for(settings.rate_limit_storage, database, clock),
            per_client=settings.token_failures_per_client,
            per_address=settings.token_failures_per_address,
            window_seconds=settings.token_failure_window_seconds,
            clock=_epoch_clock(clock),
        )

    def _limits(self, client_id: str, address: str) -> list[tuple[RateLimitItem, str]]:
        return [(self._client, f"client:{client_id}"), (self._address, f"address:{address}")]

    async def begin(self, client_id: str, address: str) -> int | None:
        """Count one attempt; None when it may go on, else the seconds until the spent window ends
        (the attempt is then refused unchecked, and not counted). Storage errors are raised."""
        refused: list[int] = []
        for item, key in self._limits(client_id, address):
            if not await self._window.hit(item, key):
                reset_time = await self._storage.get_expiry(item.key_for(key))
                refused.append(max(1, _seconds_until(reset_time, self._clock())))
        if refused:
            metrics.rate_limit_refused("token-failed-attempts")
            await self.give_back(client_id, address)
            return max(refused)
        return None

    async def give_back(self, client_id: str, address: str) -> None:
        """Uncount an attempt `begin` counted: it succeeded, or was never checked."""
        for item, key in self._limits(client_id, address):
            await self._storage.incr(item.key_for(key), item.get_expiry(), amount=-1)

    async def aclose(self) -> None:
        await _close_storage(self._storage)


class _FixedWindow(FixedWindowRateLimiter):
    """limits' fixed window, whose hit also reports the count the increment returned, so the headers
    need no second read of the storage."""

    async def hit_with_stats(self, item: RateLimitItem, caller: str) -> tuple[bool, WindowStats]:
        key = item.key_for(caller)
        hits = await self.storage.incr(key, item.get_expiry())
        reset_time = await self.storage.get_expiry(key)
        return hits <= item.amount, WindowStats(reset_time, max(0, item.amount - hits))


def _seconds_until(reset_time: float, now: float) -> int:
    # Rounded to the millisecond first: float noise must not turn a full 1 s window into 2 s.
    return max(0, math.ceil(round(reset_time - now, 3)))


def _storage_for(setting: str, database: Database, clock: Clock | None) -> Storage:
    if setting == "auto":
        setting = "memory" if database.dialect == "sqlite" else "database"
    if setting == "memory":
        return _MemoryStorage(_epoch_clock(clock))
    if setting == "database":
        return _DatabaseStorage(database, clock)
    if setting.startswith(("redis://", "rediss://")):
        if importlib.util.find_spec("redis") is None:  # an extra: only this store needs it
            raise ValueError(f"{_SETTING} redis://… needs the redis package: pip install 'orderdesk[redis]'")
        return RedisStorage(f"async+{setting}", implementation="redispy")
    shown = repr(setting) if "@" not in setting else "a URL with credentials"
    raise ValueError(f"{_SETTING} must be auto, memory, database or redis://host:port/db, not {shown}")


class _MemoryStorage(Storage):
    """Fixed-window counters in this process's memory, on an injectable clock (limits' own memory
    storage reads `time.time` itself). Ended windows are dropped at most once a minute."""

    STORAGE_SCHEME = None

    def __init__(self, clock: EpochClock) -> None:
        super().__init__()
        self._clock = clock
        self._windows: dict[str, tuple[int, float]] = {}
        """Per key: the hits counted and the epoch time at which their window ends."""
        self._next_cleanup = 0.0

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return ValueError

    def _live(self, key: str, now: float) -> tuple[int, float] | None:
        window = self._windows.get(key)
        return window if window is not None and window[1] > now else None

    async def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = self._clock()
        if now >= self._next_cleanup:
            self._next_cleanup = now + _CLEANUP_SECONDS
            self._windows = {known: window for known, window in self._windows.items() if window[1] > now}
        hits, ends_at = self._live(key, now) or (0, now + expiry)
        self._windows[key] = (hits + amount, ends_at)
        return hits + amount

    async def get(self, key: str) -> int:
        window = self._live(key, self._clock())
        return window[0] if window else 0

    async def get_expiry(self, key: str) -> float:
        now = self._clock()
        window = self._live(key, now)
        return window[1] if window else now

    async def check(self) -> bool:
        return True

    async def reset(self) -> int | None:
        count = len(self._windows)
        self._windows.clear()
        return count

    async def clear(self, key: str) -> None:
        self._windows.pop(key, None)


class _DatabaseStorage(Storage):
    """Counters in `purchase_rate_limit`, shared by every process on the database.

    Each statement commits on its own (autocommit), apart from any request transaction: a call counts
    even when its request fails, and no row lock is held beyond one statement. Time is the database's
    clock unless one is injected, so API hosts whose clocks differ still agree on when a window ends.
    """

    STORAGE_SCHEME = None

    def __init__(self, database: Database, clock: Clock | None = None) -> None:
        super().__init__()
        self._database = database
        self._clock = clock
        self._local_time = _epoch_clock(clock)
        # Local epoch time at which each key's window ends, as the last increment here returned it.
        self._expiries: dict[str, float] = {}
        self._next_cleanup = 0.0

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return SQLAlchemyError

    async def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Add `amount`, starting the window again when the stored one has ended."""
        key = _storage_key(key)
        async with self._database.autocommit() as connection:
            hits, seconds_left = await rate_limits.add_hits(connection, key, amount, expiry, self._now())
        self._expiries[key] = self._local_time() + seconds_left
        await self._clean_up()
        return hits

    async def get(self, key: str) -> int:
        async with self._database.autocommit() as connection:
            return await rate_limits.get_hits(connection, _storage_key(key), self._now())

    async def get_expiry(self, key: str) -> float:
        key = _storage_key(key)
        known = self._expiries.get(key)
        if known is not None and known > self._local_time():
            return known
        async with self._database.autocommit() as connection:
            seconds_left = await rate_limits.get_seconds_left(connection, key, self._now())
        return self._local_time() + seconds_left

    async def check(self) -> bool:
        try:
            async with self._database.autocommit() as connection:
                await rate_limits.ping(connection)
        except SQLAlchemyError:
            return False
        return True

    async def reset(self) -> int | None:
        self._expiries.clear()
        async with self._database.autocommit() as connection:
            return await rate_limits.delete_all(connection)

    async def clear(self, key: str) -> None:
        key = _storage_key(key)
        self._expiries.pop(key, None)
        async with self._database.autocommit() as connection:
            await rate_limits.delete_key(connection, key)

    async def _clean_up(self) -> None:
        """Delete ended windows, at most once a minute per process; a failure only postpones it."""
        if time.monotonic() < self._next_cleanup:
            return
        self._next_cleanup = time.monotonic() + _CLEANUP_SECONDS
        local_now = self._local_time()
        self._expiries = {key: end for key, end in self._expiries.items() if end > local_now}
        try:
            async with self._database.autocommit() as connection:
                await rate_limits.delete_ended(connection, self._now())
        except SQLAlchemyError as error:
            _log.warning("rate_limit_cleanup_failed", error=str(error))

    def _now(self) -> rate_limits.Now:
        """The injected clock's epoch time, else the database's."""
        if self._clock is not None:
            return rate_limits.fixed_now(self._clock().timestamp())
        return rate_limits.database_now(self._database.dialect)


def _storage_key(key: str) -> str:
    """The key as stored: long ones (a caller id can be anything) are hashed to fit the column."""
    if len(key) <= _KEY_LENGTH:
        return key
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()
