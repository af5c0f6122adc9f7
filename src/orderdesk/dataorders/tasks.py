"""The worker loops of data orders: staging sub-orders (claim -> copy -> record, one sub-order per
step) and expiring orders with the removal of staged files nobody may download any more."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import structlog

from orderdesk.core.activity import report
from orderdesk.core.db import Database
from orderdesk.core.leases import Lease
from orderdesk.dataorders.models import ClaimedSuborder, FileState, FileToStage, StagingOutcome
from orderdesk.dataorders.service import expiry, staging
from orderdesk.dataorders.service.staging import release_claims_of
from orderdesk.dataorders.storage.area import order_folders, remove_partials, remove_staged_files
from orderdesk.observability import metrics

__all__ = ["ExpiryRules", "ExpiryWorker", "StagingRules", "StagingWorker", "release_claims_of"]

_log = structlog.get_logger(__name__)
PARALLEL_COPIES = 2
"""Files of a sub-order copied at once: hashing holds one core per copy (two measured 1.6x one)."""
EXPIRY_BATCH = 100


@dataclass(frozen=True, slots=True)
class StagingRules:
    area: Path
    """Where staged files are kept: AREA/<order id>/<file id>."""
    max_per_user: int
    links_base_url: str
    """The base of absolute links (the public base URL): a files event links to the order's files."""
    lease: timedelta = timedelta(minutes=2)
    poll_seconds: float = 1.0
    """How long an idle step waits before looking again (unless woken)."""


class StagingWorker:
    """Stages one sub-order per step, never more than `max_per_user` of one user at once (see
    service.staging); the copies run under a lease renewed in the background."""

    def __init__(
        self,
        database: Database,
        rules: StagingRules,
        clock: Callable[[], datetime],
        *,
        worker: uuid.UUID | None = None,
    ) -> None:
        self._database = database
        self._rules = rules
        self._clock = clock
        self._worker = worker
        """The worker process named in claims (core.heartbeat); None when no heartbeat runs (tests)."""

    async def step(self) -> float:
        """Stage one sub-order; 0 when there may be another, else the poll interval."""
        async with self._database.transaction() as connection:
            claimed = await staging.claim_suborder(
                connection,
                self._clock(),
                max_per_user=self._rules.max_per_user,
                lease=self._rules.lease,
                worker=self._worker,
            )
        _log.debug("staging_pass", worker=str(self._worker), claimed=claimed is not None)
        if claimed is None:
            return self._rules.poll_seconds
        report(f"staging sub-order {claimed.id} of data order {claimed.order_id}")
        with structlog.contextvars.bound_contextvars(order_id=claimed.order_id, suborder_id=claimed.id):
            await self._stage(claimed)
        return 0.0

    async def _stage(self, claimed: ClaimedSuborder) -> None:
        async with self._database.transaction() as connection:
            files = await staging.files_to_stage(connection, claimed.id)
        await remove_partials(self._rules.area, claimed.order_id, {str(file.id) for file in files})
        copies = asyncio.Semaphore(PARALLEL_COPIES)

        # Renewed while copying: a large sub-order may take longer than one lease. No file starts in
        # the lease's last tenth, nor once it is lost: another worker may have the sub-order by then.
        lease = Lease(
            self._database,
            lambda connection, until: staging.renew_lease(connection, claimed.id, claimed.token, until),
            length=self._rules.lease,
            ends=self._clock() + self._rules.lease,
            clock=self._clock,
            name=f"suborder-{claimed.id}",
        )

        async def stage(file: FileToStage) -> StagingOutcome | None:
            async with copies:
                if not lease.held(margin=self._rules.lease / 10):
                    return None
                outcome = await staging.stage_file(self._rules.area, claimed.order_id, file)
                metrics.file_staged(outcome.state, file.size if outcome.state is FileState.AVAILABLE else 0)
                return outcome

        async with lease:
            staged = await asyncio.gather(*(stage(file) for file in files))
        outcomes = [outcome for outcome in staged if outcome is not None]
        if len(outcomes) < len(staged) and not lease.lost:
            # Not recorded: the sub-order is taken up again (by any worker) once its lease has run out.
            _log.warning(
                "staging_stopped_lease_ending", suborder_id=claimed.id, left=len(staged) - len(outcomes)
            )
            return
        async with self._database.transaction() as connection:
            gone = await staging.record_staging(
                connection, claimed, outcomes, self._clock(), links_base_url=self._rules.links_base_url
            )
        if gone:
            # Deleted or expired while we copied: what we staged has no owner any more.
            await remove_staged_files(self._rules.area, claimed.order_id)


@dataclass(frozen=True, slots=True)
class ExpiryRules:
    area: Path
    interval_seconds: float = 60.0


class ExpiryWorker:
    def __init__(self, database: Database, rules: ExpiryRules, clock: Callable[[], datetime]) -> None:
        self._database = database
        self._rules = rules
        self._clock = clock

    async def step(self) -> float:
        """Expire due orders, then tidy the staging area; the pause before the next round."""
        expired = await self.expire()
        await self.remove_stale_folders()
        return 0.0 if expired == EXPIRY_BATCH else self._rules.interval_seconds

    async def expire(self) -> int:
        async with self._database.transaction() as connection:
            order_ids = await expiry.expire_due(connection, self._clock(), EXPIRY_BATCH)
        for order_id in order_ids:
            _log.info("dataorder_expired", order_id=order_id)
            await remove_staged_files(self._rules.area, order_id)
        return len(order_ids)

    async def remove_stale_folders(self) -> None:
        """Folders of orders that are gone or past expiry (also those a crash left between commit and
        rmtree). A folder of an order this database never had is logged and kept: it belongs to
        another instance's database (whose home this is), never ours to remove."""
        folders = order_folders(self._rules.area)
        if not folders:
            return
        async with self._database.transaction() as connection:
            verdict = await expiry.judge_folders(connection, folders, self._clock())
        if verdict.unknown:
            _log.warning("dataorder_folders_of_unknown_orders_kept", order_ids=sorted(verdict.unknown))
        for order_id in sorted(verdict.stale):
            await remove_staged_files(self._rules.area, order_id)
