"""Queries of staging: claiming sub-orders under a lease, the files to copy, recording the outcome;
the caller owns the transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, bindparam, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.core.db import lock_for_update
from orderdesk.dataorders.models import (
    FileState,
    FileToStage,
    OrderStatus,
    StagingOutcome,
    SuborderCandidate,
    SuborderState,
)
from orderdesk.dataorders.rules.status import IN_PROGRESS
from orderdesk.dataorders.tables import (
    catalog_dataset,
    catalog_file,
    data_order,
    data_order_file,
    data_suborder,
)

_ACTIVE = (SuborderState.STAGING.value, SuborderState.STAGED.value)
"""Sub-orders that hold one of their owner's slots."""
CANDIDATES = 50


async def claim_candidates(
    connection: AsyncConnection, now: datetime, max_per_user: int
) -> list[SuborderCandidate]:
    """Sub-orders that may be staged now, first come first: WAITING ones of running orders whose
    owner has a free slot, STAGED ones with files set to be staged again, and STAGING ones whose
    lease ran out. Takes the database's write lock on SQLite (see core.db.lock_for_update)."""
    sub = data_suborder.c
    # Users already at their limit: their waiting sub-orders must not crowd out everyone else's.
    full = (
        select(sub.owner)
        .where(sub.state.in_(_ACTIVE))
        .group_by(sub.owner)
        .having(func.count() >= max_per_user)
    )
    await lock_for_update(connection)
    running = data_order.c.status.in_([status.value for status in IN_PROGRESS])
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
        .limit(CANDIDATES)
    )
    return [
        SuborderCandidate(row.id, row.order_id, row.owner, SuborderState(row.state), row.lease_token)
        for row in candidates.all()
    ]


async def active_of(connection: AsyncConnection, owner: str) -> int:
    """How many of the owner's slots are taken (sub-orders STAGING or STAGED)."""
    result = await connection.execute(
        select(func.count())
        .select_from(data_suborder)
        .where(and_(data_suborder.c.owner == owner, data_suborder.c.state.in_(_ACTIVE)))
    )
    return int(result.scalar_one())


async def take(
    connection: AsyncConnection,
    candidate: SuborderCandidate,
    token: uuid.UUID,
    until: datetime,
    worker: uuid.UUID | None,
) -> bool:
    """STAGING under a new lease `token` until `until`, if the candidate is still as it was read
    (same state, same lease): the guard that makes the claim correct on SQLite too."""
    sub = data_suborder.c
    taken = await connection.execute(
        update(data_suborder)
        .where(
            and_(
                sub.id == candidate.id,
                sub.state == candidate.state.value,
                sub.lease_token.is_not_distinct_from(candidate.lease_token),
            )
        )
        .values(state=SuborderState.STAGING.value, lease_token=token, due_at=until, claimed_by=worker)
    )
    return bool(taken.rowcount == 1)


async def start_order(connection: AsyncConnection, order_id: int, now: datetime) -> str | None:
    """A PENDING order RUNNING (its first sub-order is being staged); its label if it was PENDING,
    None if it was not (nothing changed)."""
    started = await connection.execute(
        update(data_order)
        .where(and_(data_order.c.id == order_id, data_order.c.status == OrderStatus.PENDING.value))
        .values(status=OrderStatus.RUNNING.value, status_changed_at=now)
        .returning(data_order.c.label)
    )
    label: str | None = started.scalar_one_or_none()
    return label


async def files_to_stage(connection: AsyncConnection, suborder_id: int) -> list[FileToStage]:
    """The sub-order's PENDING files, each with its catalogue entry as it is now."""
    files = await connection.execute(
        select(
            data_order_file.c.id,
            data_order_file.c.storage_key,
            data_order_file.c.md5,
            catalog_dataset.c.location,
            catalog_file.c.removed_at,
            catalog_file.c.md5.label("catalog_md5"),
            data_order_file.c.size,
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
    return [
        FileToStage(row.id, row.storage_key, row.md5, row.location, row.removed_at, row.catalog_md5, row.size)
        for row in files.all()
    ]


async def renew_lease(
    connection: AsyncConnection, suborder_id: int, token: uuid.UUID, until: datetime
) -> bool:
    """The lease extended to `until`; False when `token` no longer holds it."""
    result = await connection.execute(
        update(data_suborder)
        .where(and_(data_suborder.c.id == suborder_id, data_suborder.c.lease_token == token))
        .values(due_at=until)
    )
    return bool(result.rowcount == 1)


async def holds_lease(connection: AsyncConnection, suborder_id: int, token: uuid.UUID) -> bool:
    owned = await connection.execute(
        select(data_suborder.c.id).where(
            and_(data_suborder.c.id == suborder_id, data_suborder.c.lease_token == token)
        )
    )
    return owned.first() is not None


async def record_outcomes(
    connection: AsyncConnection, outcomes: Sequence[StagingOutcome], now: datetime
) -> None:
    """Each file AVAILABLE or ERROR (with the reason) as staging left it."""
    if not outcomes:
        return
    await connection.execute(
        update(data_order_file)
        .where(data_order_file.c.id == bindparam("file_id"))
        .values(state=bindparam("new_state"), state_changed_at=now, error=bindparam("new_error")),
        [
            {"file_id": outcome.file_id, "new_state": outcome.state.value, "new_error": outcome.error}
            for outcome in outcomes
        ],
    )


async def available_count(connection: AsyncConnection, suborder_id: int) -> int:
    """How many files of the sub-order wait to be downloaded (a sub-order holds a bucket's worth)."""
    file = data_order_file.c
    available = await connection.execute(
        select(func.count())
        .select_from(data_order_file)
        .where(and_(file.suborder_id == suborder_id, file.state == FileState.AVAILABLE.value))
    )
    return int(available.scalar_one())


async def end_lease(connection: AsyncConnection, suborder_id: int, state: SuborderState) -> None:
    """The sub-order in `state` (STAGED or ENDED), no longer leased."""
    await connection.execute(
        update(data_suborder)
        .where(data_suborder.c.id == suborder_id)
        .values(state=state.value, lease_token=None)
    )


async def release_claims_of(connection: AsyncConnection, worker: uuid.UUID, now: datetime) -> int:
    """End, as of `now`, the lease of the sub-orders `worker` is staging; how many."""
    sub = data_suborder.c
    result = await connection.execute(
        update(data_suborder)
        .where(and_(sub.claimed_by == worker, sub.state == SuborderState.STAGING.value, sub.due_at > now))
        .values(due_at=now)
    )
    return int(result.rowcount)
