"""Worker processes' heartbeats, and taking over the claims of a worker that went silent.

Each worker process has a row in `worker_process` (host, pid, when it started, when it was last seen,
what each of its loops is doing), written every few seconds and removed when it stops gracefully.
Its claims name it (`claimed_by`). A worker not seen for `stale_after` is taken for dead: any other
worker ends the leases of its claims at once (each family says how, with a `Releaser`), so that the
ordinary claims of the live workers take the work over within seconds instead of a whole lease.

Race-free: the silent worker's row is locked (`FOR UPDATE SKIP LOCKED` on PostgreSQL, the write lock
on SQLite) and marked released in the transaction that ends its leases, so only one worker does it;
the takeover itself is the ordinary claim, which gives each row a new lease token, so a worker
taken for dead that was only slow has its late results refused, never applied twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

import structlog
from sqlalchemy import (
    JSON,
    Column,
    Index,
    Integer,
    String,
    Table,
    Uuid,
    and_,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.core.activity import Activity
from orderdesk.core.clock import Clock
from orderdesk.core.db import Database, UTCDateTime, insert_for, lock_for_update, metadata

_log = structlog.get_logger(__name__)

worker_process = Table(
    "worker_process",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    # Per loop name: {"doing": "sending 500 email notifications", "since": ISO 8601}.
    Column("activity", JSON, nullable=False),
    # Set when other workers took its claims over after it went silent; cleared by its next beat.
    Column("claims_released_at", UTCDateTime, nullable=True),
    Index("ix_worker_process_last_seen_at", "last_seen_at"),
)
"""The worker processes seen lately: the operator's view of who works on what."""

Releaser = Callable[[AsyncConnection, UUID, datetime], Awaitable[int]]
"""End, as of the given time, the leases of what the given worker still holds; how many rows."""

FORGET_AFTER = timedelta(hours=1)
"""Rows of workers silent this long are removed (their claims were released long before)."""


@dataclass(frozen=True, slots=True)
class HeartbeatRules:
    interval: timedelta
    stale_after: timedelta


class Heartbeat:
    """This process's row, beaten every `interval`; each beat also releases silent workers' claims."""

    def __init__(
        self,
        database: Database,
        rules: HeartbeatRules,
        clock: Clock,
        activity: Activity,
        releasers: Sequence[Releaser],
    ) -> None:
        self.id = uuid.uuid4()
        """Written into every claim this process makes."""
        self._database = database
        self._rules = rules
        self._clock = clock
        self._activity = activity
        self._releasers = list(releasers)
        self._started_at = clock()
        self._last_beat: datetime | None = None
        self._task: asyncio.Task[None] | None = None

    def alive(self) -> bool:
        """Whether the others still count this worker alive, with a beat to spare: work that would
        be done twice once they take its claims over (sending a message) is started only then."""
        if self._last_beat is None:
            return False
        return self._clock() - self._last_beat < self._rules.stale_after - self._rules.interval

    async def start(self) -> None:
        """Beat once before any loop runs, so no claim ever names a worker that has no row."""
        await self.beat()
        self._task = asyncio.create_task(self._run(), name="orderdesk-heartbeat")

    async def stop(self) -> None:
        """After the loops stopped (nothing of this worker runs any more): what it still holds (work
        cut short by the end of the grace period) is free for the others at once, and its row goes."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        try:
            async with self._database.transaction() as connection:
                for release in self._releasers:
                    await release(connection, self.id, self._clock())
                await connection.execute(delete(worker_process).where(worker_process.c.id == self.id))
        except Exception:
            _log.exception("heartbeat_row_not_removed", worker_id=str(self.id))

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._rules.interval.total_seconds())
            try:
                await self.beat()
                await self.release_silent()
            except Exception:
                _log.exception("heartbeat_failed", worker_id=str(self.id))

    async def beat(self) -> None:
        now = self._clock()
        values = {"last_seen_at": now, "activity": self._activity.snapshot(), "claims_released_at": None}
        async with self._database.transaction() as connection:
            statement = insert_for(connection, worker_process).values(
                id=self.id,
                host=socket.gethostname()[:255],
                pid=os.getpid(),
                started_at=self._started_at,
                **values,
            )
            await connection.execute(statement.on_conflict_do_update(index_elements=["id"], set_=values))
        self._last_beat = now

    async def release_silent(self) -> list[UUID]:
        """Release the claims of every worker not seen for `stale_after` (and not released yet);
        the workers released."""
        now = self._clock()
        process = worker_process.c
        silent = and_(
            process.last_seen_at < now - self._rules.stale_after,
            process.claims_released_at.is_(None),
            process.id != self.id,
        )
        forgettable = and_(process.last_seen_at < now - FORGET_AFTER, process.claims_released_at.is_not(None))
        # A read first: on SQLite the write lock is only taken when there is something to do.
        async with self._database.read() as connection:
            found = await connection.execute(select(process.id).where(or_(silent, forgettable)).limit(1))
            if found.first() is None:
                return []
        released: list[UUID] = []
        async with self._database.transaction() as connection:
            await lock_for_update(connection)
            rows = await connection.execute(
                select(process.id, process.host, process.pid, process.last_seen_at)
                .where(silent)
                .with_for_update(skip_locked=True)
            )
            for row in rows.all():
                rows_released = 0
                for release in self._releasers:
                    rows_released += await release(connection, row.id, now)
                await connection.execute(
                    update(worker_process).where(process.id == row.id).values(claims_released_at=now)
                )
                released.append(row.id)
                _log.warning(
                    "silent_worker_claims_released",
                    worker_id=str(row.id),
                    host=row.host,
                    pid=row.pid,
                    last_seen_at=row.last_seen_at.isoformat(),
                    claims=rows_released,
                )
            await connection.execute(delete(worker_process).where(forgettable))
        return released


async def last_seen(connection: AsyncConnection, worker: UUID | None = None) -> datetime | None:
    """When `worker` (None: any worker process) last beat; None when there is no such row. One read
    of the primary key, or of the last entry of the last_seen_at index."""
    process = worker_process.c
    statement = select(func.max(process.last_seen_at))
    if worker is not None:
        statement = statement.where(process.id == worker)
    found: datetime | None = (await connection.execute(statement)).scalar()
    return found


@dataclass(frozen=True, slots=True)
class LoopDoing:
    """What one loop of a worker process said it was doing, and since when."""

    loop: str
    doing: str
    since: datetime


@dataclass(frozen=True, slots=True)
class WorkerSeen:
    """A worker process as its last heartbeat wrote it."""

    id: UUID
    host: str
    pid: int
    started_at: datetime
    last_seen_at: datetime
    loops: list[LoopDoing]


async def list_workers_seen(connection: AsyncConnection, since: datetime) -> list[WorkerSeen]:
    """The worker processes that beat at `since` or later, by host and pid: a range of the
    last_seen_at index."""
    process = worker_process.c
    rows = await connection.execute(
        select(
            process.id, process.host, process.pid, process.started_at, process.last_seen_at, process.activity
        )
        .where(process.last_seen_at >= since)
        .order_by(process.host, process.pid)
    )
    return [
        WorkerSeen(row.id, row.host, row.pid, row.started_at, row.last_seen_at, _loops(row.activity))
        for row in rows
    ]


def _loops(activity: dict[str, dict[str, str]]) -> list[LoopDoing]:
    """The heartbeat's `activity` column (Activity.snapshot) as the loops it names, by name."""
    return [
        LoopDoing(loop, doing["doing"], datetime.fromisoformat(doing["since"]))
        for loop, doing in sorted(activity.items())
    ]
