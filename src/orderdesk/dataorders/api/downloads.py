"""Downloads that record whether they arrived: one file by its `uri` (with the user's bearer token,
or with the order token of a metalink link) and the zip of every available file."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated

import structlog
from fastapi import APIRouter, Depends, Query, Request, Response

from orderdesk.auth.errors import Unauthenticated
from orderdesk.core.clock import Clock
from orderdesk.core.db import Database
from orderdesk.core.errors import InvalidInput
from orderdesk.dataorders.api.common import AUTH, PREFIX, OrderId
from orderdesk.dataorders.api.deps import OrderTokensDep, StagingAreaDep
from orderdesk.dataorders.api.streaming import (
    TrackedStream,
    content_disposition,
    file_chunks,
    threaded_chunks,
)
from orderdesk.dataorders.errors import FileNotAvailable, OrderNotFound
from orderdesk.dataorders.rules.names import zip_filename
from orderdesk.dataorders.service import downloads
from orderdesk.web.deps import ClockDep, DatabaseDep, DataUserDep, NowDep
from orderdesk.web.log_context import OrderLoggedRoute
from orderdesk.web.problems import openapi_responses

router = APIRouter(prefix=PREFIX, tags=["Data orders"], route_class=OrderLoggedRoute)
_log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class _Downloads:
    """What serving a download and recording its outcome needs."""

    database: Database
    clock: Clock
    area: Path


async def _downloads(database: DatabaseDep, clock: ClockDep, area: StagingAreaDep) -> _Downloads:
    return _Downloads(database, clock, area)


DownloadsDep = Annotated[_Downloads, Depends(_downloads)]


@router.get(
    "/orders/files/{file_id}",
    response_class=Response,
    responses={
        **AUTH,
        **openapi_responses(OrderNotFound, FileNotAvailable),
        202: {"description": "The file is still being staged; ask again later."},
    },
    summary="Download one ordered file",
)
async def download_file(
    request: Request, file_id: uuid.UUID, context: DownloadsDep, user: DataUserDep, now: NowDep
) -> Response:
    return await _serve_file(request, context, user.email, file_id, now)


@router.get(
    "/orders/public/files/{file_id}",
    response_class=Response,
    responses={
        **openapi_responses(InvalidInput, Unauthenticated, OrderNotFound, FileNotAvailable),
        202: {"description": "The file is still being staged; ask again later."},
    },
    summary="Download one ordered file with the order token of a metalink link (HEAD: only check)",
)
@router.head("/orders/public/files/{file_id}", response_class=Response, include_in_schema=False)
async def download_public_file(
    request: Request,
    file_id: uuid.UUID,
    context: DownloadsDep,
    tokens: OrderTokensDep,
    now: NowDep,
    order_token: Annotated[str, Query(alias="orderToken", max_length=4000)],
) -> Response:
    grant = tokens.verify(order_token)
    return await _serve_file(request, context, grant.owner, file_id, now, only_order=grant.order_id)


async def _serve_file(
    request: Request,
    context: _Downloads,
    owner: str,
    file_id: uuid.UUID,
    now: datetime,
    *,
    only_order: int | None = None,
) -> Response:
    """202 while staging; the file streamed (headers only for HEAD), DOWNLOADED once all was sent."""
    async with context.database.transaction() as connection:
        download = await downloads.prepare_download(
            connection, owner, file_id, context.area, now, only_order=only_order
        )
    if isinstance(download, downloads.NotReady):
        return Response(status_code=202)
    headers = {
        "Content-Disposition": content_disposition(download.filename),
        "Content-MD5-Hex": download.md5,
        "Content-Length": str(download.size),
    }
    if request.method == "HEAD":
        return Response(headers=headers, media_type=download.mime_type)
    return _tracked(
        context,
        download.order_id,
        file_chunks(download.path, download.size),
        headers=headers,
        media_type=download.mime_type,
        sent=[download.file_id],
        cut_fails=[download.file_id],
    )


def _tracked(
    context: _Downloads,
    order_id: int,
    chunks: AsyncIterator[bytes],
    *,
    headers: dict[str, str],
    media_type: str,
    sent: list[uuid.UUID],
    cut_fails: list[uuid.UUID],
    failed: dict[uuid.UUID, str] | None = None,
) -> TrackedStream:
    """A download that records its outcome: `sent` become DOWNLOADED when every byte went out;
    `cut_fails` become DOWNLOAD_ERROR if it was cut; `failed` are DOWNLOAD_ERROR either way."""
    database, clock = context.database, context.clock

    async def record(downloaded: list[uuid.UUID], errors: dict[uuid.UUID, str]) -> None:
        if not downloaded and not errors:
            return
        async with database.transaction() as connection:
            await downloads.record_downloads(
                connection, order_id, clock(), downloaded=downloaded, failed=errors
            )

    async def on_sent() -> None:
        await record(sent, dict(failed or {}))

    async def on_cut(bytes_sent: int, reason: str) -> None:
        _log.info("download_cut", order_id=order_id, bytes_sent=bytes_sent, reason=reason)
        await record([], {**dict.fromkeys(cut_fails, f"Download cut: {reason}."), **(failed or {})})

    return TrackedStream(chunks, headers=headers, media_type=media_type, on_sent=on_sent, on_cut=on_cut)


@router.get(
    "/user/orders/{order_id}/download",
    response_class=Response,
    responses={
        **AUTH,
        **openapi_responses(InvalidInput, OrderNotFound),
        200: {"description": "A zip of the available files", "content": {"application/zip": {}}},
        204: {"description": "No file of the order is available now."},
    },
    summary="Download every file available now, as one zip",
    description="""The zip is streamed with its length known in advance. A file that cannot be read
from the staging area is left out and named, with the reason, in a `NOTICE.txt` inside the zip (and
marked DOWNLOAD_ERROR). When the whole zip has been sent, its files are DOWNLOADED, which lets the
next sub-orders be staged. A zip cut before its end leaves its files AVAILABLE.""",
)
async def download_zip(
    order_id: OrderId,
    context: DownloadsDep,
    user: DataUserDep,
    now: NowDep,
) -> Response:
    async with context.database.transaction() as connection:
        zipped = await downloads.zip_files(connection, user.email, order_id, now)
    if not zipped:
        return Response(status_code=204)
    archive = await downloads.plan_zip(zipped, context.area)
    filename = zip_filename(order_id, now)
    return _tracked(
        context,
        order_id,
        threaded_chunks(archive.chunks()),
        headers={"Content-Disposition": content_disposition(filename), "Content-Length": str(len(archive))},
        media_type="application/zip",
        sent=archive.included,
        cut_fails=[],
        failed=archive.failed,
    )
