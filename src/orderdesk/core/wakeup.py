"""Waking worker loops when work is stored, so that "send now" means now and not at the next poll.

In one process an asyncio.Event per topic is enough. Across processes on PostgreSQL, the transaction
that stores work also runs `pg_notify`, delivered when it commits, and every worker LISTENs. SQLite
has no such thing, so workers in other processes fall back to their short poll.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from typing import Any

import structlog
from sqlalchemy import Insert, Select, func, literal_column, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.core.db import APPLICATION_NAME

_log = structlog.get_logger(__name__)
CHANNEL = "orderdesk_work"
_RECONNECT_SECONDS = 2.0


def announced(insert: Insert, topic: str) -> Select[Any]:
    """`insert`, made to tell workers in other processes in the same statement (PostgreSQL only): a
    data-modifying CTE whose `pg_notify` is delivered when the row commits and only if it does, in
    one round trip where the INSERT and the announcement took two."""
    placed = insert.returning(literal_column("1")).cte("placed")
    return select(func.pg_notify(CHANNEL, topic)).select_from(placed)


class Wakeups:
    def __init__(self) -> None:
        self._events: dict[str, list[asyncio.Event]] = defaultdict(list)

    def subscribe(self, topic: str, event: asyncio.Event) -> None:
        self._events[topic].append(event)

    def notify(self, topic: str) -> None:
        for event in self._events.get(topic, ()):
            event.set()

    @staticmethod
    async def announce(connection: AsyncConnection, topic: str) -> None:
        """Tell workers in other processes, once the caller's transaction commits (PostgreSQL only)."""
        if connection.dialect.name == "postgresql":
            await connection.execute(
                text("SELECT pg_notify(:channel, :topic)"), {"channel": CHANNEL, "topic": topic}
            )

    async def listen(self, database_url: str, stopping: asyncio.Event) -> None:
        """Relay PostgreSQL notifications to the local events until `stopping` is set; reconnects."""
        import asyncpg

        dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)

        def relay(_connection: Any, _pid: int, _channel: str, payload: str) -> None:
            self.notify(payload)

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
                    self.notify(topic)
                while not stopping.is_set() and not connection.is_closed():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stopping.wait(), _RECONNECT_SECONDS)
            finally:
                with contextlib.suppress(Exception):
                    await connection.close()
