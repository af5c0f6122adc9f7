"""Waking worker loops when work is stored, so that "send now" means now and not at the next poll.

Whatever stores work calls `after_commit(connection, topic)` (topics in core.topics), once, in the
transaction that stores it; it arranges both wake-ups, and neither happens if that transaction rolls
back:
- across processes on PostgreSQL, a `pg_notify` in the same transaction, which PostgreSQL delivers
  when it commits; every worker process LISTENs (`Wakeups.listen`). SQLite has no such thing, so
  workers in other processes fall back to their short poll;
- in this process, the loops subscribed to the topic on the `Wakeups` attached to the database are
  woken once the transaction has committed (core.db.on_commit), not before: woken earlier, a loop
  would look before the work is visible and then sleep a whole poll.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from typing import Any
from weakref import WeakKeyDictionary

import structlog
from sqlalchemy import Insert, Select, func, literal_column, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.pool import Pool

from orderdesk.core.db import APPLICATION_NAME, Database, on_commit

_log = structlog.get_logger(__name__)
CHANNEL = "orderdesk_work"
_RECONNECT_SECONDS = 2.0


_ATTACHED: WeakKeyDictionary[Pool, set[Wakeups]] = WeakKeyDictionary()
"""The Wakeups of this process's worker loops, by the pool of the connections whose commits wake
them (an engine and its autocommit variant share one). Held strongly, as long as the pool: a
Wakeups passed inline and then dropped must still wake its loops."""


def announced(insert: Insert, topic: str) -> Select[Any]:
    """`insert`, made to tell workers in other processes in the same statement (PostgreSQL only): a
    data-modifying CTE whose `pg_notify` is delivered when the row commits and only if it does, in
    one round trip where the INSERT and the announcement took two. Its caller then passes
    `notified_by_statement=True` to `after_commit`."""
    placed = insert.returning(literal_column("1")).cte("placed")
    return select(func.pg_notify(CHANNEL, topic)).select_from(placed)


async def after_commit(
    connection: AsyncConnection, topic: str, *, notified_by_statement: bool = False
) -> None:
    """Wake the worker loops of `topic`, in every process, once the caller's transaction commits."""
    if connection.dialect.name == "postgresql" and not notified_by_statement:
        await connection.execute(
            text("SELECT pg_notify(:channel, :topic)"), {"channel": CHANNEL, "topic": topic}
        )
    attached = list(_ATTACHED.get(connection.engine.sync_engine.pool, ()))
    if attached:
        on_commit(connection, lambda: _wake_local(attached, topic))


def committed_by_statement(database: Database, topic: str) -> None:
    """Wake this process's loops of `topic` after a statement that committed on its own and told the
    other processes itself (`announced`), run outside SQLAlchemy (Database.fetch_one)."""
    attached = list(_ATTACHED.get(database.engine.sync_engine.pool, ()))
    _wake_local(attached, topic)


def _wake_local(attached: list[Wakeups], topic: str) -> None:
    for wakeups in attached:
        wakeups.wake_local(topic)


class Wakeups:
    """This process's worker loops, each woken by the topics it subscribed to."""

    def __init__(self) -> None:
        self._events: dict[str, list[asyncio.Event]] = defaultdict(list)

    def attach(self, database: Database) -> Wakeups:
        """Be woken by `after_commit` in transactions of `database` (in this process)."""
        for engine in database.engines:
            _ATTACHED.setdefault(engine.sync_engine.pool, set()).add(self)
        return self

    def subscribe(self, topic: str, event: asyncio.Event) -> None:
        self._events[topic].append(event)

    def wake_local(self, topic: str) -> None:
        """Set this process's events of `topic` (what `after_commit` and `listen` end in)."""
        for event in self._events.get(topic, ()):
            event.set()

    async def listen(self, database_url: str, stopping: asyncio.Event) -> None:
        """Relay PostgreSQL notifications to the local events until `stopping` is set; reconnects."""
        import asyncpg

        dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)

        def relay(_connection: Any, _pid: int, _channel: str, payload: str) -> None:
            self.wake_local(payload)

        while not stopping.is_set():
            try:
                connection = await asyncpg.connect(
                    dsn, server_settings={"application_name": APPLICATION_NAME}
                )
            except (OSError, asyncpg.PostgresError) as error:
                _log.warning("wakeup_listen_failed", error=str(error))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), _RECONNECT_SECONDS)
                continue
            try:
                await connection.add_listener(CHANNEL, relay)
                # Anything announced while we were not listening: wake everyone once.
                for topic in list(self._events):
                    self.wake_local(topic)
                while not stopping.is_set() and not connection.is_closed():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stopping.wait(), _RECONNECT_SECONDS)
            finally:
                with contextlib.suppress(Exception):
                    await connection.close()
