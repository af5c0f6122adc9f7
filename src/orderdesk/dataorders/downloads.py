"""Serving staged files: one at a time by their `uri`. A file counts as DOWNLOADED only once every
byte was sent; a sub-order whose files are all downloaded (or failed) ends, which frees its owner's
slot for the next sub-order."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.dataorders import repository
from orderdesk.dataorders.errors import FileNotAvailable, FileNotReady, NotOrderOwner, OrderNotFound
from orderdesk.dataorders.models import FileState, SuborderState
from orderdesk.dataorders.staging import refresh_order, staged_path
from orderdesk.dataorders.tables import data_order_file, data_suborder

_SERVABLE = (FileState.AVAILABLE.value, FileState.DOWNLOADED.value, FileState.DOWNLOAD_ERROR.value)
_NOT_DONE = (FileState.AVAILABLE.value, FileState.PENDING.value)


@dataclass(frozen=True, slots=True)
class Download:
    file_id: uuid.UUID
    order_id: int
    suborder_id: int
    path: Path
    filename: str
    size: int
    md5: str
    mime_type: str


async def prepare_download(
    connection: AsyncConnection, user: str, file_id: uuid.UUID, area: Path
) -> Download:
    """FileNotReady (202) while staging, FileNotAvailable (422) for a file in error, 403/404 as orders."""
    row = await repository.order_file(connection, file_id)
    if row is None:
        raise OrderNotFound("No ordered file has that id.")
    if row.owner != user:
        raise NotOrderOwner()
    if row.state == FileState.PENDING.value:
        raise FileNotReady()
    if row.state not in (
        FileState.AVAILABLE.value,
        FileState.DOWNLOADED.value,
        FileState.DOWNLOAD_ERROR.value,
    ):
        raise FileNotAvailable(row.error or "The file could not be made available.")
    path = staged_path(area, row.order_id, row.id)
    if not path.is_file():
        raise FileNotAvailable("The staged copy of the file is missing; retry the order to stage it again.")
    return Download(
        file_id=row.id,
        order_id=row.order_id,
        suborder_id=row.suborder_id,
        path=path,
        filename=row.filename,
        size=row.size,
        md5=row.md5,
        mime_type=row.mime_type,
    )


async def mark_downloaded(connection: AsyncConnection, download: Download, now: datetime) -> None:
    file = data_order_file.c
    await connection.execute(
        update(data_order_file)
        .where(and_(file.id == download.file_id, file.state != FileState.DOWNLOADED.value))
        .values(state=FileState.DOWNLOADED.value, state_changed_at=now)
    )
    suborder_id = download.suborder_id
    still_available = await connection.execute(
        select(func.count())
        .select_from(data_order_file)
        .where(
            and_(
                file.suborder_id == suborder_id,
                file.state.in_((FileState.AVAILABLE.value, FileState.PENDING.value)),
            )
        )
    )
    if int(still_available.scalar_one()) == 0:
        await connection.execute(
            update(data_suborder)
            .where(
                and_(data_suborder.c.id == suborder_id, data_suborder.c.state == SuborderState.STAGED.value)
            )
            .values(state=SuborderState.ENDED.value)
        )
    await refresh_order(connection, download.order_id, now)
