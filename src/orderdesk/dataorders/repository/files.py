"""Queries of the files of data orders; the caller owns the transaction."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, bindparam, func, select, text, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.core.db import bulk_insert
from orderdesk.core.offload import converted_rows
from orderdesk.dataorders.models import (
    FileState,
    OrderFile,
    OrderStatus,
    OwnedFile,
    StateTally,
    SuborderState,
)
from orderdesk.dataorders.rules.files import NOT_DONE
from orderdesk.dataorders.tables import IN_ERROR, data_order, data_order_file, data_suborder


def _order_file(row: Any) -> OrderFile:
    return OrderFile(
        id=row.id,
        order_id=row.order_id,
        suborder_id=row.suborder_id,
        catalog_file_id=row.catalog_file_id,
        dataset=row.dataset,
        product_id=row.product_id,
        filename=row.filename,
        storage_key=row.storage_key,
        size=row.size,
        mime_type=row.mime_type,
        md5=row.md5,
        state=FileState(row.state),
        state_changed_at=row.state_changed_at,
        error=row.error,
    )


async def insert_files(connection: AsyncConnection, files: Sequence[OrderFile]) -> None:
    await bulk_insert(
        connection,
        data_order_file,
        [
            {
                "id": file.id,
                "order_id": file.order_id,
                "suborder_id": file.suborder_id,
                "catalog_file_id": file.catalog_file_id,
                "dataset": file.dataset,
                "product_id": file.product_id,
                "filename": file.filename,
                "storage_key": file.storage_key,
                "size": file.size,
                "mime_type": file.mime_type,
                "md5": file.md5,
                "state": file.state.value,
                "state_changed_at": file.state_changed_at,
                "error": file.error,
            }
            for file in files
        ],
    )


async def order_files(
    connection: AsyncConnection,
    order_id: int,
    *,
    state: FileState | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> tuple[list[OrderFile], int]:
    """A page of the order's files (in a stable order), optionally of one state; and how many there are."""
    file = data_order_file.c
    chosen = file.order_id == order_id
    if state is not None:
        chosen = and_(chosen, file.state == state.value)
    counted = await connection.execute(select(func.count()).select_from(data_order_file).where(chosen))
    result = await connection.execute(
        select(data_order_file)
        .where(chosen)
        .order_by(file.product_id, file.storage_key, file.id)
        .offset(offset)
        .limit(limit)
    )
    # Without a limit (a metalink) as many rows as the order has files: converted off the loop.
    return await converted_rows(result, _order_file), int(counted.scalar_one())


async def files_page(
    connection: AsyncConnection, order_id: int, after: tuple[str, uuid.UUID] | None, limit: int
) -> list[OrderFile]:
    """A page of the order's files by state and id, after the (state, id) key `after`: a range of the
    order's index, however many files it has."""
    file = data_order_file.c
    query = select(data_order_file).where(file.order_id == order_id)
    if after is not None:
        query = query.where(tuple_(file.state, file.id) > after)
    result = await connection.execute(query.order_by(file.state, file.id).limit(limit))
    return [_order_file(row) for row in result]


async def files_in_error(
    connection: AsyncConnection, after: tuple[datetime, uuid.UUID] | None, limit: int
) -> list[OwnedFile]:
    """Files of every order that failed to stage or to download, newest first, after the (time, id)
    key `after`, each with its order's owner and status."""
    file = data_order_file.c
    # The partial index's condition, word for word: both databases then read only that index.
    query = _with_order().where(text(f"data_order_file.{IN_ERROR}"))
    if after is not None:
        query = query.where(tuple_(file.state_changed_at, file.id) < after)
    result = await connection.execute(
        query.order_by(file.state_changed_at.desc(), file.id.desc()).limit(limit)
    )
    return [_owned_file(row) for row in result]


def _with_order() -> Select[Any]:
    return select(
        data_order_file,
        data_order.c.owner,
        data_order.c.status.label("order_status"),
        data_order.c.expires_at.label("order_expires_at"),
    ).join(data_order, data_order.c.id == data_order_file.c.order_id)


def _owned_file(row: Any) -> OwnedFile:
    return OwnedFile(
        file=_order_file(row),
        owner=row.owner,
        order_status=OrderStatus(row.order_status),
        order_expires_at=row.order_expires_at,
    )


async def owned_file(connection: AsyncConnection, file_id: uuid.UUID) -> OwnedFile | None:
    """The file with its order's owner, status and expiry."""
    row = (await connection.execute(_with_order().where(data_order_file.c.id == file_id))).first()
    return None if row is None else _owned_file(row)


async def state_tallies(connection: AsyncConnection, order_id: int) -> list[StateTally]:
    """The order's files and bytes per state (states without a file left out)."""
    file = data_order_file.c
    result = await connection.execute(
        select(file.state, func.count().label("files"), func.sum(file.size).label("bytes"))
        .where(file.order_id == order_id)
        .group_by(file.state)
    )
    return [StateTally(FileState(row.state), int(row.files), int(row.bytes or 0)) for row in result]


async def reset_files_in(
    connection: AsyncConnection, order_id: int, states: Sequence[FileState], now: datetime
) -> None:
    """The order's files in one of `states` PENDING again, their error forgotten."""
    file = data_order_file.c
    await connection.execute(
        update(data_order_file)
        .where(and_(file.order_id == order_id, file.state.in_([state.value for state in states])))
        .values(state=FileState.PENDING.value, state_changed_at=now, error=None)
    )


async def mark_downloaded(connection: AsyncConnection, file_ids: Sequence[uuid.UUID], now: datetime) -> None:
    file = data_order_file.c
    await connection.execute(
        update(data_order_file)
        .where(and_(file.id.in_(file_ids), file.state != FileState.DOWNLOADED.value))
        .values(state=FileState.DOWNLOADED.value, state_changed_at=now, error=None)
    )


async def mark_download_failed(
    connection: AsyncConnection, reasons: Mapping[uuid.UUID, str], now: datetime
) -> None:
    """DOWNLOAD_ERROR with the reason, for each file not DOWNLOADED already."""
    file = data_order_file.c
    await connection.execute(
        update(data_order_file)
        .where(and_(file.id == bindparam("file_id"), file.state != FileState.DOWNLOADED.value))
        .values(state=FileState.DOWNLOAD_ERROR.value, state_changed_at=now, error=bindparam("reason")),
        [{"file_id": file_id, "reason": reason} for file_id, reason in reasons.items()],
    )


async def end_suborders_done_with(connection: AsyncConnection, file_ids: Sequence[uuid.UUID]) -> int:
    """The STAGED sub-orders of these files that have no file left to stage or download become
    ENDED; how many did."""
    file = data_order_file.c
    touched = select(file.suborder_id).where(file.id.in_(file_ids))
    undone = select(file.suborder_id).where(
        and_(file.suborder_id.in_(touched), file.state.in_([state.value for state in NOT_DONE]))
    )
    sub = data_suborder.c
    ended = await connection.execute(
        update(data_suborder)
        .where(
            and_(
                sub.id.in_(touched),
                sub.state == SuborderState.STAGED.value,
                sub.id.not_in(undone),
            )
        )
        .values(state=SuborderState.ENDED.value)
    )
    return int(ended.rowcount)
