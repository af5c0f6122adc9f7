"""Serving staged files: one at a time by their `uri`, or the zip of every available one. A file
counts as DOWNLOADED only once every byte was sent; a sub-order whose files are all downloaded (or
failed) ends, which frees its owner's slot for the next sub-order."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.core import topics
from orderdesk.core.wakeup import after_commit
from orderdesk.dataorders.errors import FileNotAvailable, OrderNotFound
from orderdesk.dataorders.models import FileState, OrderFile
from orderdesk.dataorders.repository import files
from orderdesk.dataorders.rules.files import check_servable
from orderdesk.dataorders.service import events
from orderdesk.dataorders.service.ordering import available_files_of, owned_order
from orderdesk.dataorders.service.progress import locked_order, refresh_order
from orderdesk.dataorders.storage.area import staged_path
from orderdesk.dataorders.storage.zipping import OrderZip, build_zip


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
    owned = await files.owned_file(connection, file_id)
    if owned is None or owned.owner != user or (only_order is not None and owned.file.order_id != only_order):
        raise OrderNotFound("No ordered file has that id.")
    file = owned.file
    if file.state == FileState.PENDING:
        return NotReady()
    check_servable(owned, now)
    path = staged_path(area, file.order_id, file.id)
    if not path.is_file():
        raise FileNotAvailable("The staged copy of the file is missing; retry the order to stage it again.")
    return Download(
        file_id=file.id,
        order_id=file.order_id,
        path=path,
        filename=file.filename,
        size=file.size,
        md5=file.md5,
        mime_type=file.mime_type,
    )


async def zip_files(connection: AsyncConnection, user: str, order_id: int, now: datetime) -> list[OrderFile]:
    """The files a zip of the order holds now: every AVAILABLE one; none past the order's expiry
    (before the sweep removes them). OrderNotFound as `owned_order`."""
    order = await owned_order(connection, user, order_id)
    available = await available_files_of(connection, order)
    if order.expires_at < now:
        return []
    return available.files


async def plan_zip(zipped: Sequence[OrderFile], area: Path) -> OrderZip:
    """The zip of these files from their staged copies, planned off the event loop (it stats them)."""
    return await asyncio.to_thread(build_zip, zipped, area)


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
    order = await locked_order(connection, order_id)
    if downloaded:
        await files.mark_downloaded(connection, downloaded, now)
    if failed:
        await files.mark_download_failed(connection, failed, now)
    ended = await files.end_suborders_done_with(connection, [*downloaded, *failed])
    # a download error turns DONE into DONE_WITH_WARNING, a later good download turns it back
    await events.record(connection, [await refresh_order(connection, order, now)])
    if ended > 0:
        await after_commit(connection, topics.DATAORDER_STAGING)
    return ended > 0
