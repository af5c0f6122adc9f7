"""Staging sub-orders: one at a time per worker step, never more than `max_suborders_per_user`
sub-orders of one user staging or staged-but-not-downloaded (the original's "blocked until you
download"). Each file is copied into the order's area with its checksum verified; a file gone from
the catalogue or changed since is ERROR and never served. The order's counters and status follow.

A sub-order being staged names the worker process staging it (`claimed_by`); if that worker's
heartbeat goes silent, `release_claims_of` ends its lease and another worker stages it again."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import and_, bindparam, exists, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.core.activity import report
from orderdesk.core.db import Database, lock_for_update
from orderdesk.core.leases import Lease
from orderdesk.dataorders import repository
from orderdesk.dataorders.models import GONE, FileState, OrderStatus, SuborderState
from orderdesk.dataorders.storage import ChecksumMismatch, LocalFolderStore
from orderdesk.dataorders.tables import (
    catalog_dataset,
    catalog_file,
    data_order,
    data_order_file,
    data_suborder,
)

_log = structlog.get_logger(__name__)
PARALLEL_COPIES = 2
"""Files of a sub-order copied at once: hashing holds one core per copy (two measured 1.6x one)."""
_ACTIVE = (SuborderState.STAGING.value, SuborderState.STAGED.value)
_IN_PROGRESS = (OrderStatus.PENDING.value, OrderStatus.RUNNING.value)
_FINISHED = (OrderStatus.DONE, OrderStatus.DONE_WITH_WARNING, OrderStatus.FAILED)
_SETTLING = (*_IN_PROGRESS, OrderStatus.PAUSED.value, *(status.value for status in _FINISHED))
"""Statuses that follow the files once none is PENDING: a download error turns DONE into
DONE_WITH_WARNING, a later good download of that file turns it back."""


@dataclass(frozen=True, slots=True)
class StagingRules:
    area: Path
    """Where staged files are kept: AREA/<order id>/<file id>."""
    max_per_user: int
    lease: timedelta = timedelta(minutes=2)
    poll_seconds: float = 1.0
    """How long an idle step waits before looking again (unless woken)."""


def staged_path(area: Path, order_id: int, file_id: uuid.UUID) -> Path:
    return area / str(order_id) / str(file_id)


async def remove_staged_files(area: Path, order_id: int) -> None:
    """Remove the order's staging folder (after its DELETED or EXPIRED status is committed)."""
    await asyncio.to_thread(shutil.rmtree, area / str(order_id), ignore_errors=True)


class StagingWorker:
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
        claimed = await self._claim()
        if claimed is None:
            return self._rules.poll_seconds
        suborder_id, order_id, token = claimed
        report(f"staging sub-order {suborder_id} of data order {order_id}")
        await self._stage(suborder_id, order_id, token)
        return 0.0

    async def _claim(self) -> tuple[int, int, uuid.UUID] | None:
        now = self._clock()
        sub = data_suborder.c
        # Users already at their limit: their waiting sub-orders must not crowd out everyone else's.
        full = (
            select(sub.owner)
            .where(sub.state.in_(_ACTIVE))
            .group_by(sub.owner)
            .having(func.count() >= self._rules.max_per_user)
        )
        async with self._database.transaction() as connection:
            await lock_for_update(connection)
            running = data_order.c.status.in_(_IN_PROGRESS)
            retried = exists().where(
                and_(
                    data_order_file.c.suborder_id == sub.id,
                    data_order_file.c.state == FileState.PENDING.value,
                )
            )
            candidates = await connection.execute(
                select(sub.id, sub.order_id, sub.owner, sub.state, sub.lease_token)
                .join(data_order, data_order.c.id == sub.order_id)
                .where(
                    or_(
                        and_(running, sub.state == SuborderState.WAITING.value, sub.owner.not_in(full)),
                        # files of a staged sub-order set to be staged again (retry): it holds its slot
                        and_(running, sub.state == SuborderState.STAGED.value, retried),
                        # a worker died or stopped mid-copy, whatever the order's status since
                        and_(sub.state == SuborderState.STAGING.value, sub.due_at <= now),
                    )
                )
                .order_by(sub.order_id, sub.sequence)
                .limit(50)
            )
            for candidate in candidates.all():
                if candidate.state == SuborderState.WAITING.value:
                    await lock_owner(connection, candidate.owner)
                    if await _active_of(connection, candidate.owner) >= self._rules.max_per_user:
                        continue
                token = uuid.uuid4()
                taken = await connection.execute(
                    update(data_suborder)
                    .where(
                        and_(
                            sub.id == candidate.id,
                            sub.state == candidate.state,
                            sub.lease_token.is_not_distinct_from(candidate.lease_token),
                        )
                    )
                    .values(
                        state=SuborderState.STAGING.value,
                        lease_token=token,
                        due_at=now + self._rules.lease,
                        claimed_by=self._worker,
                    )
                )
                if taken.rowcount != 1:
                    continue
                await connection.execute(
                    update(data_order)
                    .where(
                        and_(
                            data_order.c.id == candidate.order_id,
                            data_order.c.status == OrderStatus.PENDING.value,
                        )
                    )
                    .values(status=OrderStatus.RUNNING.value, status_changed_at=now)
                )
                return candidate.id, candidate.order_id, token
        return None

    async def _stage(self, suborder_id: int, order_id: int, token: uuid.UUID) -> None:
        async with self._database.transaction() as connection:
            files = (
                await connection.execute(
                    select(
                        data_order_file.c.id,
                        data_order_file.c.storage_key,
                        data_order_file.c.md5,
                        catalog_dataset.c.location,
                        catalog_file.c.removed_at,
                        catalog_file.c.md5.label("catalog_md5"),
                    )
                    .join(catalog_file, catalog_file.c.id == data_order_file.c.catalog_file_id, isouter=True)
                    .join(catalog_dataset, catalog_dataset.c.name == data_order_file.c.dataset, isouter=True)
                    .where(
                        and_(
                            data_order_file.c.suborder_id == suborder_id,
                            data_order_file.c.state == FileState.PENDING.value,
                        )
                    )
                )
            ).all()
        folder = self._rules.area / str(order_id)
        await asyncio.to_thread(_remove_partials, folder, {str(file.id) for file in files})
        copies = asyncio.Semaphore(PARALLEL_COPIES)

        # Renewed while copying: a large sub-order may take longer than one lease. No file starts in
        # the lease's last tenth, nor once it is lost: another worker may have the sub-order by then.
        lease = Lease(
            self._database,
            lambda connection, until: renew_lease(connection, suborder_id, token, until),
            length=self._rules.lease,
            ends=self._clock() + self._rules.lease,
            clock=self._clock,
            name=f"suborder-{suborder_id}",
        )

        async def stage(file: Any) -> tuple[uuid.UUID, FileState, str | None] | None:
            async with copies:
                if not lease.held(margin=self._rules.lease / 10):
                    return None
                return await self._stage_file(order_id, file)

        async with lease:
            staged = await asyncio.gather(*(stage(file) for file in files))
        results = [result for result in staged if result is not None]
        if len(results) < len(staged) and not lease.lost:
            # Not recorded: the sub-order is taken up again (by any worker) once its lease has run out.
            _log.warning(
                "staging_stopped_lease_ending", suborder_id=suborder_id, left=len(staged) - len(results)
            )
            return
        if await self._record(suborder_id, order_id, token, results):
            # Deleted or expired while we copied: what we staged has no owner any more.
            await remove_staged_files(self._rules.area, order_id)

    async def _record(
        self,
        suborder_id: int,
        order_id: int,
        token: uuid.UUID,
        results: list[tuple[uuid.UUID, FileState, str | None]],
    ) -> bool:
        """Write the outcome if we still hold the lease. True when the lease was lost to the order
        being deleted or expired (then the copies just made are to be removed)."""
        async with self._database.transaction() as connection:
            await lock_order(connection, order_id)
            owned = await connection.execute(
                select(data_suborder.c.id).where(
                    and_(data_suborder.c.id == suborder_id, data_suborder.c.lease_token == token)
                )
            )
            if owned.first() is None:
                _log.warning("staging_lease_lost", suborder_id=suborder_id)
                status = await connection.execute(
                    select(data_order.c.status).where(data_order.c.id == order_id)
                )
                return status.scalar_one_or_none() in (None, *GONE)
            now = self._clock()
            if results:
                await connection.execute(
                    update(data_order_file)
                    .where(data_order_file.c.id == bindparam("file_id"))
                    .values(state=bindparam("new_state"), state_changed_at=now, error=bindparam("new_error")),
                    [
                        {"file_id": file_id, "new_state": state.value, "new_error": error}
                        for file_id, state, error in results
                    ],
                )
            file = data_order_file.c
            available = await connection.execute(
                select(
                    exists().where(
                        and_(file.suborder_id == suborder_id, file.state == FileState.AVAILABLE.value)
                    )
                )
            )
            await connection.execute(
                update(data_suborder)
                .where(data_suborder.c.id == suborder_id)
                .values(
                    state=(SuborderState.STAGED if available.scalar_one() else SuborderState.ENDED).value,
                    lease_token=None,
                )
            )
            await refresh_order(connection, order_id, now)
        return False

    async def _stage_file(self, order_id: int, file: Any) -> tuple[uuid.UUID, FileState, str | None]:
        if file.location is None or file.removed_at is not None or file.catalog_md5 != file.md5:
            return file.id, FileState.ERROR, "The file is no longer in the catalogue as ordered."
        store = LocalFolderStore(Path(file.location))
        try:
            await store.stage(file.storage_key, staged_path(self._rules.area, order_id, file.id), file.md5)
        except ChecksumMismatch as error:
            return file.id, FileState.ERROR, str(error)
        except (OSError, ValueError) as error:
            return file.id, FileState.ERROR, f"Could not stage the file: {error}"
        return file.id, FileState.AVAILABLE, None


async def renew_lease(
    connection: AsyncConnection, suborder_id: int, token: uuid.UUID, until: datetime
) -> bool:
    result = await connection.execute(
        update(data_suborder)
        .where(and_(data_suborder.c.id == suborder_id, data_suborder.c.lease_token == token))
        .values(due_at=until)
    )
    return result.rowcount == 1


async def release_claims_of(connection: AsyncConnection, worker: uuid.UUID, now: datetime) -> int:
    """End, as of `now`, the lease of sub-orders a silent worker was staging: the next claim of a live
    worker stages them again (a new token: the silent one's late result is refused). A core.heartbeat
    Releaser."""
    sub = data_suborder.c
    result = await connection.execute(
        update(data_suborder)
        .where(and_(sub.claimed_by == worker, sub.state == SuborderState.STAGING.value, sub.due_at > now))
        .values(due_at=now)
    )
    return result.rowcount


async def lock_owner(connection: AsyncConnection, owner: str) -> None:
    """Serialise per user, across processes, what counts or changes the user's orders and slots:
    an advisory lock on PostgreSQL, the database's write lock on SQLite."""
    await lock_for_update(connection)
    if connection.dialect.name == "postgresql":
        await connection.execute(text("SELECT pg_advisory_xact_lock(hashtext(:owner))"), {"owner": owner})


async def lock_order(connection: AsyncConnection, order_id: int) -> None:
    """Hold the order's row until commit, so that concurrent downloads and staging results recount
    its files one after the other (each would otherwise miss the other's change)."""
    await repository.get_order(connection, order_id, lock=True)


def _remove_partials(folder: Path, file_ids: set[str]) -> None:
    """Half-made copies of these files, left by a worker that died (or lost its lease) mid-copy."""
    if not folder.is_dir():
        return
    for path in folder.iterdir():
        if path.suffix == ".partial" and path.name.split(".", 1)[0] in file_ids:
            path.unlink(missing_ok=True)


async def _active_of(connection: AsyncConnection, owner: str) -> int:
    result = await connection.execute(
        select(func.count())
        .select_from(data_suborder)
        .where(and_(data_suborder.c.owner == owner, data_suborder.c.state.in_(_ACTIVE)))
    )
    return int(result.scalar_one())


async def refresh_order(connection: AsyncConnection, order_id: int, now: datetime) -> None:
    """Recompute the order's counters from its files, and its status once no file is PENDING."""
    file = data_order_file.c
    by_state = await connection.execute(
        select(file.state, func.count().label("files"), func.sum(file.size).label("bytes"))
        .where(file.order_id == order_id)
        .group_by(file.state)
    )
    counts: dict[str, int] = {}
    sizes: dict[str, int] = {}
    for row in by_state:
        counts[row.state], sizes[row.state] = int(row.files), int(row.bytes or 0)
    total = sum(counts.values())
    errors = counts.get(FileState.ERROR.value, 0)
    pending = counts.get(FileState.PENDING.value, 0)
    # By size, as the original: one large file still staging weighs more than many small ones done.
    total_bytes = sum(sizes.values())
    pending_bytes = sizes.get(FileState.PENDING.value, 0)
    if total_bytes:
        percent = (100 * (total_bytes - pending_bytes)) // total_bytes
    else:
        percent = 100 if pending == 0 else 0
    waiting = await connection.execute(
        select(func.count())
        .select_from(data_suborder)
        .where(
            and_(data_suborder.c.order_id == order_id, data_suborder.c.state == SuborderState.STAGED.value)
        )
    )
    counters = {
        "available_files": counts.get(FileState.AVAILABLE.value, 0),
        "files_in_error": errors,
        "percent_completed": percent,
        "waiting_for_user": int(waiting.scalar_one()) > 0,
    }
    await connection.execute(
        update(data_order)
        .where(and_(data_order.c.id == order_id, data_order.c.status.not_in(GONE)))
        .values(**counters)
    )
    if pending == 0:
        status = OrderStatus.DONE_WITH_WARNING
        if errors == total:
            status = OrderStatus.FAILED
        elif errors + counts.get(FileState.DOWNLOAD_ERROR.value, 0) == 0:
            status = OrderStatus.DONE
        await connection.execute(
            update(data_order)
            .where(
                and_(
                    data_order.c.id == order_id,
                    data_order.c.status.in_(_SETTLING),
                    data_order.c.status != status.value,
                )
            )
            .values(status=status.value, status_changed_at=now)
        )


def is_over(status: OrderStatus) -> bool:
    """Finished, expired or deleted: nothing more will become available."""
    return status.value not in (*_IN_PROGRESS, OrderStatus.PAUSED.value)
