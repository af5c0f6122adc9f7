"""Staging sub-orders: never more than `max_per_user` sub-orders of one user staging or
staged-but-not-downloaded (the original's "blocked until you download"). Each file is copied into
the order's area with its checksum verified; a file gone from the catalogue or changed since is
ERROR and never served. The order's counters and status follow.

A sub-order being staged names the worker process staging it (`claimed_by`); if that worker's
heartbeat goes silent, `release_claims_of` ends its lease and another worker stages it again."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

import structlog
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.dataorders.models import (
    ClaimedSuborder,
    FileState,
    FileToStage,
    OrderStatus,
    StagingOutcome,
    SuborderState,
)
from orderdesk.dataorders.repository import orders, staging
from orderdesk.dataorders.rules.files import staging_refusal
from orderdesk.dataorders.rules.status import is_gone, suborder_state_after_staging
from orderdesk.dataorders.service import events
from orderdesk.dataorders.service.progress import refresh_order
from orderdesk.dataorders.storage.area import staged_path
from orderdesk.dataorders.storage.store import ChecksumMismatch, LocalFolderStore

_log = structlog.get_logger(__name__)


async def claim_suborder(
    connection: AsyncConnection,
    now: datetime,
    *,
    max_per_user: int,
    lease: timedelta,
    worker: uuid.UUID | None,
) -> ClaimedSuborder | None:
    """The next sub-order to stage, STAGING under a new lease until `now + lease` (its order RUNNING
    if it was PENDING); None when there is none. A WAITING one is taken only while its owner has a
    free slot, checked under the owner's lock."""
    for candidate in await staging.claim_candidates(connection, now, max_per_user):
        if candidate.state == SuborderState.WAITING:
            await orders.lock_owner(connection, candidate.owner)
            if await staging.active_of(connection, candidate.owner) >= max_per_user:
                continue
        token = uuid.uuid4()
        if not await staging.take(connection, candidate, token, now + lease, worker):
            continue
        label = await staging.start_order(connection, candidate.order_id, now)
        if label is not None:
            started = events.status_change(
                candidate.order_id, candidate.owner, label, OrderStatus.PENDING, OrderStatus.RUNNING, now
            )
            await events.record(connection, [started])
        return ClaimedSuborder(candidate.id, candidate.order_id, token)
    return None


async def files_to_stage(connection: AsyncConnection, suborder_id: int) -> list[FileToStage]:
    return await staging.files_to_stage(connection, suborder_id)


async def renew_lease(
    connection: AsyncConnection, suborder_id: int, token: uuid.UUID, until: datetime
) -> bool:
    """A core.leases renewal: False once `token` has lost the lease."""
    return await staging.renew_lease(connection, suborder_id, token, until)


async def stage_file(area: Path, order_id: int, file: FileToStage) -> StagingOutcome:
    """Copy the file into the order's area, its checksum verified; ERROR with the reason when it is
    not in the catalogue as ordered any more or the copy fails."""
    refusal = staging_refusal(file)
    if refusal is not None or file.location is None:
        return StagingOutcome(file.id, FileState.ERROR, refusal)
    store = LocalFolderStore(Path(file.location))
    try:
        await store.stage(file.storage_key, staged_path(area, order_id, file.id), file.md5)
    except ChecksumMismatch as error:
        return StagingOutcome(file.id, FileState.ERROR, str(error))
    except (OSError, ValueError) as error:
        return StagingOutcome(file.id, FileState.ERROR, f"Could not stage the file: {error}")
    return StagingOutcome(file.id, FileState.AVAILABLE, None)


async def record_staging(
    connection: AsyncConnection,
    claimed: ClaimedSuborder,
    outcomes: Sequence[StagingOutcome],
    now: datetime,
    *,
    links_base_url: str,
) -> bool:
    """Write the outcome if the lease is still held: the files' states, the sub-order STAGED or
    ENDED, the order's counters and status, and their events (files made available, with a link to
    the order's available files under `links_base_url`; the status settled). True when the lease was
    lost to the order being deleted or expired (then the copies just made are to be removed)."""
    order = await orders.lock_order(connection, claimed.order_id)
    if order is None or not await staging.holds_lease(connection, claimed.id, claimed.token):
        _log.warning("staging_lease_lost", suborder_id=claimed.id)
        return order is None or is_gone(order.status)
    await staging.record_outcomes(connection, outcomes, now)
    available = await staging.available_count(connection, claimed.id)
    await staging.end_lease(connection, claimed.id, suborder_state_after_staging(available > 0))
    made_available = any(outcome.state is FileState.AVAILABLE for outcome in outcomes)
    await events.record(
        connection,
        [
            events.files_available(order, claimed.id, available, links_base_url, now)
            if made_available
            else None,
            await refresh_order(connection, order, now),
        ],
    )
    return False


async def release_claims_of(connection: AsyncConnection, worker: uuid.UUID, now: datetime) -> int:
    """End, as of `now`, the lease of sub-orders a silent worker was staging: the next claim of a live
    worker stages them again (a new token: the silent one's late result is refused). A core.heartbeat
    Releaser."""
    return await staging.release_claims_of(connection, worker, now)
