"""Keeping a claim's lease while its work runs: renewed every third of the lease, so that a claim
only runs out when its worker stops renewing it (dead, hung, or cut off from the database).

One helper for every claim kind (an order being processed, a batch of notifications being sent, a
sub-order being staged); each passes the statement that renews its own rows, guarded by its token.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.core.clock import Clock
from orderdesk.core.db import Database

_log = structlog.get_logger(__name__)

Renew = Callable[[AsyncConnection, datetime], Awaitable[bool]]
"""Move the claim's lease end to the given time; False when nothing of the claim is held any more."""


class LeaseKeeper:
    """Renews one claim in the background from `start()` until `cancel()`/`stop()`.

    `ends` is when the lease runs out as last written; a renewal that fails (the database is away) is
    tried again at the next turn and leaves `ends` as it was, so the work can stop starting anything
    new before its claim may be taken over. Renewal stops once `renew` finds nothing left to hold.
    """

    def __init__(
        self,
        database: Database,
        renew: Renew,
        *,
        lease: timedelta,
        ends: datetime,
        clock: Clock,
        name: str,
    ) -> None:
        self._database = database
        self._renew = renew
        self._lease = lease
        self._clock = clock
        self._name = name
        self.ends = ends
        self.lost = False
        self._task: asyncio.Task[None] | None = None

    def start(self) -> LeaseKeeper:
        self._task = asyncio.create_task(self._run(), name=f"orderdesk-lease-{self._name}")
        return self

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()

    async def stop(self) -> None:
        self.cancel()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._lease.total_seconds() / 3)
            until = self._clock() + self._lease
            try:
                async with self._database.transaction() as connection:
                    held = await self._renew(connection, until)
            except Exception:
                _log.exception("lease_renewal_failed", claim=self._name)
                continue
            if not held:
                self.lost = True
                _log.info("lease_not_held", claim=self._name)
                return
            self.ends = until
