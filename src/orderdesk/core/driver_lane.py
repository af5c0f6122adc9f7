"""PostgreSQL connections lent for one statement the driver runs itself, outside any transaction
(a status read; an order intake's INSERT), in microseconds.

Taking a connection out of SQLAlchemy's pool and putting it back costs two greenlet switches, each
copying the request's deep coroutine stack, and the pool's own bookkeeping: about 130 µs of a status
read's 470 µs of CPU time (in-process, one read after another), more than asyncpg spends on the
statement. asyncpg's own pool still cost about 80 µs (its acquire's timeout and context machinery).

The lane takes its connections out of an engine of its own once and keeps them, lending them by
popping a list. The engine still opens them, so they are set up as every other connection (codecs,
application name), and replaces them when they are returned to it: a connection the server closed,
one whose statement was interrupted (its state unknown), and one older than `recycle_seconds`.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.util import greenlet_spawn

from orderdesk.core.errors import DatabaseUnavailable


@dataclass(slots=True)
class _Lent:
    """A connection the lane holds: the engine's pooled proxy and asyncpg's connection in it."""

    pooled: PoolProxiedConnection
    driver: Any
    taken_at: float


@dataclass(slots=True)
class DriverLane:
    """At most `size` connections of `engine` (whose pool must hold `size`, no overflow); a
    statement waits up to `timeout` seconds for one, then DatabaseUnavailable (a 503)."""

    engine: AsyncEngine
    size: int
    timeout: float
    recycle_seconds: float
    _idle: list[_Lent] = field(default_factory=list)
    _held: int = 0
    """Connections taken out of the engine and not yet handed back to it (idle, lent or retired)."""
    _retired: list[_Lent] = field(default_factory=list)
    """Connections to hand back to the engine at the next chance to await (taking one)."""
    _waiting: deque[tuple[float, asyncio.Future[_Lent | None]]] = field(default_factory=deque)
    """Statements waiting for a connection, each with its deadline, in the order they came."""
    _watchdog: asyncio.TimerHandle | None = None
    _closed: bool = False

    async def fetchrow(self, sql: str, arguments: Sequence[Any]) -> Any:
        """The first row of `sql` run with `arguments` (asyncpg's Record), or None."""
        lent = self._pop_idle() or await self._take()
        try:
            return await lent.driver.fetchrow(sql, *arguments)
        finally:
            # Also after an error: a statement the server refused leaves the connection as it was,
            # and one cancelled mid-way (its request ended) asyncpg cancels on the server, making the
            # connection's next statement wait for that; one the server closed is retired.
            self._give_back(lent)
            if self._closed:  # nothing else will hand it back to the engine
                await self._release_retired()

    async def close(self) -> None:
        """Hand every idle connection back to the engine; one lent now goes back when it returns."""
        self._closed = True
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        while self._idle:
            self._retire(self._idle.pop())
        await self._release_retired()
        for _deadline, waiter in self._waiting:
            if not waiter.done():
                waiter.set_result(None)

    @property
    def held(self) -> int:
        return self._held

    def idle_drivers(self) -> list[Any]:
        """asyncpg's connections idle in the lane now (for tools that watch statements)."""
        return [lent.driver for lent in self._idle]

    def _pop_idle(self) -> _Lent | None:
        """The connection given back last, skipping (and retiring) any the server has closed
        meanwhile (a restart, an administrator's kill, an idle timeout)."""
        while self._idle:
            lent = self._idle.pop()
            if not lent.driver.is_closed():
                return lent
            self._retire(lent)
        return None

    async def _take(self) -> _Lent:
        """A connection when none is idle: a new one while fewer than `size` are held, else the
        next one given back (or the place of one retired), waiting until `timeout` has passed."""
        deadline: float | None = None
        while True:
            await self._release_retired()
            if self._closed:
                raise DatabaseUnavailable()
            lent = self._pop_idle()
            if lent is not None:
                return lent
            if self._held < self.size:
                return await self._open()
            if deadline is None:
                deadline = asyncio.get_running_loop().time() + self.timeout
            lent = await self._wait(deadline)
            if lent is not None and not lent.driver.is_closed():
                return lent
            if lent is not None:
                self._retire(lent)

    async def _open(self) -> _Lent:
        self._held += 1
        try:
            async with asyncio.timeout(self.timeout):
                pooled = await greenlet_spawn(self.engine.sync_engine.raw_connection)
        except BaseException as error:
            self._held -= 1
            self._wake_one(None)
            if isinstance(error, DBAPIError | OSError | PoolTimeout | TimeoutError):
                raise DatabaseUnavailable() from error
            raise
        return _Lent(pooled, pooled.driver_connection, asyncio.get_running_loop().time())

    async def _wait(self, deadline: float) -> _Lent | None:
        """The next connection given back, or None when a place was freed (a connection retired);
        DatabaseUnavailable once `deadline` (the loop's time) has passed.

        One timer serves every waiting statement (`_expire`), armed for the earliest deadline:
        a timer of its own for each wait was a tenth of the lane's cost in an intake."""
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[_Lent | None] = loop.create_future()
        self._waiting.append((deadline, waiter))
        if self._watchdog is None:
            self._watchdog = loop.call_at(deadline, self._expire)
        try:
            return await waiter
        except BaseException:
            # Given one in the same turn as this wait ended otherwise (a cancellation): pass it
            # on rather than lose it.
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                given = waiter.result()
                if given is not None:
                    self._give_back(given)
                else:
                    self._wake_one(None)
            raise

    def _expire(self) -> None:
        """Fail the statements waiting past their deadline, and arm the timer again for the earliest
        deadline still waiting (mostly the first in the queue; not always: a statement that was
        handed a freed place and had to wait again keeps its first deadline)."""
        self._watchdog = None
        loop = asyncio.get_running_loop()
        now = loop.time()
        still: deque[tuple[float, asyncio.Future[_Lent | None]]] = deque()
        for deadline, waiter in self._waiting:
            if waiter.done():
                continue
            if deadline <= now:
                waiter.set_exception(DatabaseUnavailable())
            else:
                still.append((deadline, waiter))
        self._waiting = still
        if still:
            self._watchdog = loop.call_at(min(deadline for deadline, _waiter in still), self._expire)

    def _give_back(self, lent: _Lent) -> None:
        aged = asyncio.get_running_loop().time() - lent.taken_at > self.recycle_seconds
        if self._closed or aged or lent.driver.is_closed():
            self._retire(lent)
        elif not self._wake_one(lent):
            self._idle.append(lent)

    def _retire(self, lent: _Lent) -> None:
        """Take `lent` out of the lane; the engine gets it back (closing or replacing it) at the next
        `_take`, and a statement waiting meanwhile may open a connection in its place."""
        self._retired.append(lent)
        self._wake_one(None)

    def _wake_one(self, given: _Lent | None) -> bool:
        """Hand `given` (or, for None, a freed place) to the longest waiting statement; False when
        none waits."""
        while self._waiting:
            _deadline, waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(given)
                return True
        return False

    async def _release_retired(self) -> None:
        while self._retired:
            lent = self._retired.pop()
            try:
                if lent.driver.is_closed():
                    await greenlet_spawn(lent.pooled.invalidate)
                else:
                    await greenlet_spawn(lent.pooled.close)
            finally:
                self._held -= 1
