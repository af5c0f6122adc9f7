"""One lease for every claim kind (an order being processed, a batch of notifications being sent, a
sub-order being staged): kept while the work runs, and the holder always knows whether it still has it.

A family claims its rows with a lease end (`due_at`) and a token, in its own repository; the claim
statement also reclaims rows whose lease ran out, and core.heartbeat ends the leases of a dead worker.
While the work runs, `Lease` renews it in the background every third of its length with the family's
`Renew` statement, guarded by the token:

- a renewal that fails (the database is away, a lock timed out) is logged and tried again at the
  next turn, leaving `ends` as it was, so the holder stops starting new work before the lease may
  run out (`held`);
- renewal stops only when the block is left, or when `Renew` finds nothing of the claim held any
  more (`lost`: another worker took it over, or the user deleted what it was for);
- leaving the block always waits for the renewal task, so none outlives its work.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from types import TracebackType

import structlog
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.core.clock import Clock
from orderdesk.core.db import Database

_log = structlog.get_logger(__name__)

Renew = Callable[[AsyncConnection, datetime], Awaitable[bool]]
"""Move the claim's lease end to the given time; False when nothing of the claim is held any more."""


class Lease:
    """`async with Lease(...) as lease:` renews the claim while the block runs; `lease.held()` says
    whether new work may still start under it."""

    def __init__(
        self,
        database: Database,
        renew: Renew,
        *,
        length: timedelta,
        ends: datetime,
        clock: Clock,
        name: str,
    ) -> None:
        self._database = database
        self._renew = renew
        self.length = length
        self._clock = clock
        self._name = name
        self.ends = ends
        """When the lease runs out as last written."""
        self.lost = False
        """Renewal found the claim held by nobody or another: whatever follows is not ours to write."""
        self._task: asyncio.Task[None] | None = None

    def held(self, margin: timedelta = timedelta(0)) -> bool:
        """Still ours, and for at least `margin` more (no other worker can have taken it by then)."""
        return not self.lost and self._clock() < self.ends - margin

    async def __aenter__(self) -> Lease:
        self._task = asyncio.create_task(self._keep(), name=f"orderdesk-lease-{self._name}")
        return self

    async def __aexit__(
        self,
        _type: type[BaseException] | None,
        _error: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    async def stop(self) -> None:
        """Stop renewing and wait until the renewal task has ended."""
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        # wait(), not `await task`: a cancellation of the holder itself must still propagate.
        await asyncio.wait([task])
        if not task.cancelled() and task.exception() is not None:
            _log.error("lease_keeper_failed", claim=self._name, exc_info=task.exception())

    async def _keep(self) -> None:
        while True:
            await asyncio.sleep(self.length.total_seconds() / 3)
            until = self._clock() + self.length
            try:
                async with self._database.transaction() as connection:
                    held = await self._renew(connection, until)
            except Exception:
                _log.exception("lease_renewal_failed", claim=self._name, ends=self.ends.isoformat())
                continue
            if not held:
                self.lost = True
                _log.warning("lease_lost", claim=self._name)
                return
            self.ends = until
