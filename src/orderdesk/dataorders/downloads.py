"""Serving staged files: one at a time by their `uri`. A file counts as DOWNLOADED only once every
byte was sent; a sub-order whose files are all downloaded (or failed) ends, which frees its owner's
slot for the next sub-order."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import and_, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.core import topics
from orderdesk.core.wakeup import after_commit
from orderdesk.dataorders import repository
from orderdesk.dataorders.errors import FileNotAvailable, OrderNotFound
from orderdesk.dataorders.models import GONE, FileState, SuborderState
from orderdesk.dataorders.staging import lock_order, refresh_order, staged_path
from orderdesk.dataorders.tables import data_order_file, data_suborder

_SERVABLE = (FileState.AVAILABLE.value, FileState.DOWNLOADED.value, FileState.DOWNLOAD_ERROR.value)
_NOT_DONE = (FileState.AVAILABLE.value, FileState.PENDING.value)


@dataclass(frozen=True, slots=True)
class Download:
    file_id: uuid.UUID
    order_id: int
    path: Path
    filename: str
    size: int
    md5: str
    mime_type: str


@dataclass(frozen=True, slots=True)
class NotReady:
    """The file is still being staged; ask again later."""


async def prepare_download(
    connection: AsyncConnection,
    user: str,
    file_id: uuid.UUID,
    area: Path,
    now: datetime,
    *,
    only_order: int | None = None,
) -> Download | NotReady:
    """NotReady while staging, FileNotAvailable (422) for a file in error; OrderNotFound,
    the same, for a missing file, another user's, and one of another order than the order token's."""
    row = await repository.order_file(connection, file_id)
    if row is None or row.owner != user or (only_order is not None and row.order_id != only_order):
        raise OrderNotFound("No ordered file has that id.")
    if row.state == FileState.PENDING.value:
        return NotReady()
    if row.order_status in GONE:
        raise FileNotAvailable(f"The order is {row.order_status}: its staged files were removed.")
    if row.order_expires_at < now:
        raise FileNotAvailable(f"The order expired at {row.order_expires_at:%Y-%m-%dT%H:%M:%SZ}.")
    if row.state not in _SERVABLE:
        raise FileNotAvailable(row.error or "The file could not be made available.")
    path = staged_path(area, row.order_id, row.id)
    if not path.is_file():
        raise FileNotAvailable("The staged copy of the file is missing; retry the order to stage it again.")
    return Download(
        file_id=row.id,
        order_id=row.order_id,
        path=path,
        filename=row.filename,
        size=row.size,
        md5=row.md5,
        mime_type=row.mime_type,
    )


async def record_downloads(
    connection: AsyncConnection,
    order_id: int,
    now: datetime,
    *,
    downloaded: Sequence[uuid.UUID] = (),
    failed: Mapping[uuid.UUID, str] | None = None,
) -> bool:
    """Files fully sent become DOWNLOADED, files whose download failed DOWNLOAD_ERROR (with the
    reason); a staged sub-order of theirs with nothing left to download ends, freeing its owner's
    slot. True when one ended (a waiting sub-order may start now)."""
    failed = failed or {}
    await lock_order(connection, order_id)
    file = data_order_file.c
    if downloaded:
        await connection.execute(
            update(data_order_file)
            .where(and_(file.id.in_(downloaded), file.state != FileState.DOWNLOADED.value))
            .values(state=FileState.DOWNLOADED.value, state_changed_at=now, error=None)
        )
    if failed:
        await connection.execute(
            update(data_order_file)
            .where(and_(file.id == bindparam("file_id"), file.state != FileState.DOWNLOADED.value))
            .values(state=FileState.DOWNLOAD_ERROR.value, state_changed_at=now, error=bindparam("reason")),
            [{"file_id": file_id, "reason": reason} for file_id, reason in failed.items()],
        )
    touched = select(file.suborder_id).where(file.id.in_([*downloaded, *failed]))
    undone = select(file.suborder_id).where(and_(file.suborder_id.in_(touched), file.state.in_(_NOT_DONE)))
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
    await refresh_order(connection, order_id, now)
    if ended.rowcount > 0:
        await after_commit(connection, topics.DATAORDER_STAGING)
    return ended.rowcount > 0
