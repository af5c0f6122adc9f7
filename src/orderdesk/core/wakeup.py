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
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

_log = structlog.get_logger(__name__)
CHANNEL = "orderdesk_work"
_RECONNECT_SECONDS = 2.0


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

    @staticmethod
    async def announce_committed(connection: AsyncConnection, topic: str) -> None:
        """Tell workers in other processes about work already committed, on a connection in
        autocommit: should the database fail now, the work is stored all the same and the workers
        find it at their next poll, so the caller is not told of the failure (a client told of one
        would place its order again)."""
        try:
            await Wakeups.announce(connection, topic)
        except SQLAlchemyError as error:
            _log.warning("wakeup_announce_failed", topic=topic, error=str(error))

    async def listen(self, database_url: str, stopping: asyncio.Event) -> None:
        """Relay PostgreSQL notifications to the local events until `stopping` is set; reconnects."""
        import asyncpg

        dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)

        def relay(_connection: Any, _pid: int, _channel: str, payload: str) -> None:
            self.notify(payload)

        while not stopping.is_set():
            try:
                connection = await asyncpg.connect(dsn)
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
