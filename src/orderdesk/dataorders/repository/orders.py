"""Queries of data orders and their sub-orders; the caller owns the transaction."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.core.db import lock_for_update
from orderdesk.dataorders.models import (
    GONE,
    DatasetPart,
    FileState,
    NewOrder,
    NewSuborder,
    OrderLife,
    OrderRow,
    OrderStatus,
    Progress,
    SuborderRecord,
    SuborderState,
)
from orderdesk.dataorders.rules.status import EXPIRING, EXPIRING_IF_UNREAD, SETTLING
from orderdesk.dataorders.tables import data_order, data_order_file, data_suborder


def _order(row: Any) -> OrderRow:
    return OrderRow(
        id=row.id,
        owner=row.owner,
        label=row.label,
        status=OrderStatus(row.status),
        status_changed_at=row.status_changed_at,
        created_at=row.created_at,
        expires_at=row.expires_at,
        files_count=row.files_count,
        files_size=row.files_size,
        percent_completed=row.percent_completed,
        files_in_error=row.files_in_error,
        available_files=row.available_files,
        waiting_for_user=bool(row.waiting_for_user),
        correlation_id=row.correlation_id,
        on_success_url=row.on_success_url,
        message=row.message,
    )


async def lock_owner(connection: AsyncConnection, owner: str) -> None:
    """Serialise per user, across processes, what counts or changes the user's orders and slots:
    an advisory lock on PostgreSQL, the database's write lock on SQLite."""
    await lock_for_update(connection)
    if connection.dialect.name == "postgresql":
        await connection.execute(text("SELECT pg_advisory_xact_lock(hashtext(:owner))"), {"owner": owner})


async def lock_order(connection: AsyncConnection, order_id: int) -> OrderRow | None:
    """Hold the order's row until commit, so that concurrent downloads and staging results recount
    its files one after the other (each would otherwise miss the other's change); the order as it is
    now (None if there is none)."""
    return await get_order(connection, order_id, lock=True)


async def labels_like(connection: AsyncConnection, owner: str, prefix: str) -> set[str]:
    """The owner's order labels that start with `prefix`."""
    result = await connection.execute(
        select(data_order.c.label).where(
            and_(data_order.c.owner == owner, data_order.c.label.startswith(prefix, autoescape=True))
        )
    )
    return {row.label for row in result}


async def insert_order(connection: AsyncConnection, order: NewOrder) -> int:
    """A PENDING order; its id."""
    result = await connection.execute(
        data_order.insert()
        .values(
            owner=order.owner,
            label=order.label,
            status=OrderStatus.PENDING.value,
            status_changed_at=order.created_at,
            created_at=order.created_at,
            expires_at=order.expires_at,
            files_count=order.files_count,
            files_size=order.files_size,
            on_success_url=order.on_success_url,
            correlation_id=order.correlation_id,
        )
        .returning(data_order.c.id)
    )
    order_id: int = result.scalar_one()
    return order_id


async def insert_suborder(connection: AsyncConnection, suborder: NewSuborder) -> int:
    """A WAITING sub-order; its id."""
    result = await connection.execute(
        data_suborder.insert()
        .values(
            order_id=suborder.order_id,
            owner=suborder.owner,
            sequence=suborder.sequence,
            state=SuborderState.WAITING.value,
            files_count=suborder.files_count,
            files_size=suborder.files_size,
            due_at=suborder.due_at,
        )
        .returning(data_suborder.c.id)
    )
    suborder_id: int = result.scalar_one()
    return suborder_id


async def get_order(connection: AsyncConnection, order_id: int, *, lock: bool = False) -> OrderRow | None:
    """The order; with `lock`, its row held until the transaction commits."""
    query = select(data_order).where(data_order.c.id == order_id)
    if lock:
        await lock_for_update(connection)
        query = query.with_for_update()
    row = (await connection.execute(query)).first()
    return _order(row) if row is not None else None


async def list_orders(
    connection: AsyncConnection, owner: str, *, offset: int, limit: int
) -> tuple[list[OrderRow], int]:
    """The owner's orders, newest first, without deleted ones; and how many there are in all."""
    visible = and_(data_order.c.owner == owner, data_order.c.status != OrderStatus.DELETED.value)
    total = (
        await connection.execute(select(func.count()).select_from(data_order).where(visible))
    ).scalar_one()
    result = await connection.execute(
        select(data_order)
        .where(visible)
        .order_by(data_order.c.created_at.desc(), data_order.c.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return [_order(row) for row in result], int(total)


async def list_all_orders(
    connection: AsyncConnection,
    *,
    owner: str | None,
    status: OrderStatus | None,
    after: int | None,
    limit: int,
) -> list[OrderRow]:
    """Orders of every owner (or of `owner`, of `status`), deleted ones too, newest first, after the
    order id `after` of the previous page: a range of the primary key or of the owner's or status's
    index, whatever the table holds."""
    order = data_order.c
    query = select(data_order)
    if owner is not None:
        query = query.where(order.owner == owner)
    if status is not None:
        query = query.where(order.status == status.value)
    if after is not None:
        query = query.where(order.id < after)
    result = await connection.execute(query.order_by(order.id.desc()).limit(limit))
    return [_order(row) for row in result]


async def list_suborders(connection: AsyncConnection, order_id: int, limit: int) -> list[SuborderRecord]:
    """The order's first `limit` sub-orders, in sequence."""
    suborder = data_suborder.c
    result = await connection.execute(
        select(data_suborder)
        .where(suborder.order_id == order_id)
        .order_by(suborder.sequence, suborder.id)
        .limit(limit)
    )
    return [
        SuborderRecord(
            id=row.id,
            sequence=row.sequence,
            state=SuborderState(row.state),
            files_count=row.files_count,
            files_size=row.files_size,
            due_at=row.due_at,
            leased=row.lease_token is not None,
        )
        for row in result
    ]


async def dataset_parts(
    connection: AsyncConnection, order_ids: Sequence[int]
) -> dict[int, list[DatasetPart]]:
    """Per order, per dataset: products, files and bytes ordered."""
    file = data_order_file.c
    result = await connection.execute(
        select(
            file.order_id,
            file.dataset,
            func.count(func.distinct(file.product_id)).label("products"),
            func.count().label("files"),
            func.sum(file.size).label("bytes"),
        )
        .where(file.order_id.in_(order_ids))
        .group_by(file.order_id, file.dataset)
        .order_by(file.order_id, file.dataset)
    )
    parts: dict[int, list[DatasetPart]] = {}
    for row in result:
        parts.setdefault(row.order_id, []).append(
            DatasetPart(row.dataset, row.products, row.files, int(row.bytes))
        )
    return parts


async def suborder_count(connection: AsyncConnection, order_id: int) -> int:
    result = await connection.execute(
        select(func.count()).select_from(data_suborder).where(data_suborder.c.order_id == order_id)
    )
    return int(result.scalar_one())


async def suborders_in(connection: AsyncConnection, order_id: int, state: SuborderState) -> int:
    """How many sub-orders of the order are in `state`."""
    result = await connection.execute(
        select(func.count())
        .select_from(data_suborder)
        .where(and_(data_suborder.c.order_id == order_id, data_suborder.c.state == state.value))
    )
    return int(result.scalar_one())


async def update_status(
    connection: AsyncConnection, order_id: int, status: OrderStatus, now: datetime
) -> None:
    await connection.execute(
        update(data_order)
        .where(data_order.c.id == order_id)
        .values(status=status.value, status_changed_at=now)
    )


async def update_expiry_and_run(
    connection: AsyncConnection, order_id: int, now: datetime, expires_at: datetime
) -> None:
    """RUNNING again (retried), with a new expiry date."""
    await connection.execute(
        update(data_order)
        .where(data_order.c.id == order_id)
        .values(status=OrderStatus.RUNNING.value, status_changed_at=now, expires_at=expires_at)
    )


async def update_progress(connection: AsyncConnection, order_id: int, progress: Progress) -> None:
    """The order's counters, unless it is deleted or expired (they stay as closing set them)."""
    await connection.execute(
        update(data_order)
        .where(and_(data_order.c.id == order_id, data_order.c.status.not_in(GONE)))
        .values(
            available_files=progress.available_files,
            files_in_error=progress.files_in_error,
            percent_completed=progress.percent_completed,
            waiting_for_user=progress.waiting_for_user,
        )
    )


async def settle_status(
    connection: AsyncConnection, order_id: int, status: OrderStatus, was: OrderStatus, now: datetime
) -> bool:
    """`status` as the order's files give it, if it follows its files now (rules.status.SETTLING),
    is `was` (what the caller read under the order's lock) and is not `status` already (its status
    time then stays); whether it changed."""
    result = await connection.execute(
        update(data_order)
        .where(
            and_(
                data_order.c.id == order_id,
                data_order.c.status.in_([settling.value for settling in SETTLING]),
                data_order.c.status == was.value,
                data_order.c.status != status.value,
            )
        )
        .values(status=status.value, status_changed_at=now)
    )
    return bool(result.rowcount == 1)


async def close_orders(
    connection: AsyncConnection, order_ids: Sequence[int], status: OrderStatus, now: datetime
) -> None:
    """Every sub-order ENDED (a staging one loses its lease), the orders in `status` with nothing
    available any more."""
    await connection.execute(
        update(data_suborder)
        .where(
            and_(data_suborder.c.order_id.in_(order_ids), data_suborder.c.state != SuborderState.ENDED.value)
        )
        .values(state=SuborderState.ENDED.value, lease_token=None)
    )
    await connection.execute(
        update(data_order)
        .where(data_order.c.id.in_(order_ids))
        .values(status=status.value, status_changed_at=now, available_files=0, waiting_for_user=False)
    )


async def reopen_suborders_of_files(
    connection: AsyncConnection, order_id: int, file_states: Collection[FileState], now: datetime
) -> None:
    """ENDED sub-orders holding a file in one of `file_states` WAITING again, due now."""
    file = data_order_file.c
    failed = file.state.in_([state.value for state in file_states])
    suborder_ids = select(file.suborder_id).where(and_(file.order_id == order_id, failed)).scalar_subquery()
    await connection.execute(
        update(data_suborder)
        .where(
            and_(
                data_suborder.c.order_id == order_id,
                data_suborder.c.id.in_(suborder_ids),
                # a STAGED one keeps its slot (its AVAILABLE files still wait for the user); the
                # staging worker takes up its PENDING files as they are
                data_suborder.c.state == SuborderState.ENDED.value,
            )
        )
        .values(state=SuborderState.WAITING.value, due_at=now, lease_token=None)
    )


async def claim_due_for_expiry(connection: AsyncConnection, now: datetime, limit: int) -> list[OrderRow]:
    """Up to `limit` orders past their expiry that expire (rules.status.EXPIRING, or
    EXPIRING_IF_UNREAD with files waiting), locked (skipping those another transaction holds)."""
    order = data_order.c
    due = and_(
        order.expires_at < now,
        or_(
            order.status.in_([status.value for status in EXPIRING]),
            and_(
                order.status.in_([status.value for status in EXPIRING_IF_UNREAD]), order.available_files > 0
            ),
        ),
    )
    await lock_for_update(connection)
    rows = await connection.execute(
        select(data_order)
        .where(due)
        .order_by(order.expires_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [_order(row) for row in rows]


async def order_lives(connection: AsyncConnection, order_ids: Collection[int]) -> list[OrderLife]:
    """Status and expiry of those of the orders that exist."""
    order = data_order.c
    rows = await connection.execute(
        select(order.id, order.status, order.expires_at).where(order.id.in_(order_ids))
    )
    return [OrderLife(row.id, OrderStatus(row.status), row.expires_at) for row in rows]
