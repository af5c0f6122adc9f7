"""The files of an order: the status endpoint of the seed (200/204/206), every file with its
state, and downloads (one file, or a zip of all available ones) that record whether they arrived."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import structlog
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from orderdesk.core.errors import InvalidInput
from orderdesk.dataorders import downloads, ordering, repository
from orderdesk.dataorders.errors import (
    FileNotAvailable,
    FileNotReady,
    NotOrderOwner,
    OrderNotFound,
)
from orderdesk.dataorders.routes.common import (
    AUTH,
    PREFIX,
    OrderId,
    PageNumber,
    PageSize,
    file_uri,
    json_response,
    page_metadata,
    staging_area,
)
from orderdesk.dataorders.routes.streaming import (
    TrackedStream,
    content_disposition,
    file_chunks,
    threaded_chunks,
)
from orderdesk.dataorders.schemas import (
    PageMetadata,
)
from orderdesk.dataorders.staging import STAGING_TOPIC, is_over
from orderdesk.dataorders.zipping import build_zip
from orderdesk.web.deps import DatabaseDep, DataUserDep, NowDep
from orderdesk.web.problems import openapi_responses

router = APIRouter(prefix=PREFIX, tags=["Data orders"])


_log = structlog.get_logger(__name__)


class AvailableFileExt(BaseModel):
    product_id: str = Field(serialization_alias="productId")
    checksum: str = Field(description="MD5 of the file, hex.")
    file_size: int = Field(serialization_alias="fileSize")
    filename: str
    mime_type: str = Field(serialization_alias="mimeType")
    uri: str = Field(description="Downloads the file (with the same bearer token).")


class AvailableFilesPageExt(BaseModel):
    metadata: PageMetadata
    content: list[AvailableFileExt]


_STATUS_DESCRIPTION = """The order's status told by the HTTP status, and a page of the files that can be
downloaded now: **200** the order is over (every file that could be made available is listed),
**204** pending with no file available yet (empty body), **206** pending with some files available.
Ask again as long as the answer is not 200. An order split into several sub-orders may wait until you
have downloaded the files of the first ones."""


@router.get(
    "/user/orders/{order_id}/files/available",
    response_model=AvailableFilesPageExt,
    responses={
        **AUTH,
        **openapi_responses(InvalidInput, NotOrderOwner, OrderNotFound),
        204: {"description": "Pending, no file available yet."},
        206: {"description": "Pending, some files available (listed).", "model": AvailableFilesPageExt},
    },
    summary="Status of an order and its files available for download",
    description=_STATUS_DESCRIPTION,
    tags=["Data orders"],
)
@router.get(
    "/orders/{order_id}/files/available",
    response_model=AvailableFilesPageExt,
    include_in_schema=False,
)
async def available_files(
    request: Request,
    order_id: OrderId,
    database: DatabaseDep,
    user: DataUserDep,
    page: PageNumber = 0,
    size: PageSize = 50,
) -> Response:
    async with database.transaction() as connection:
        order, rows, total = await ordering.available_files(
            connection, user.email, order_id, offset=page * size, limit=size
        )
    if is_over(order.status):
        status_code = 200
    elif total > 0:
        status_code = 206
    else:
        return Response(status_code=204)
    base = str(request.base_url).rstrip("/")
    body = AvailableFilesPageExt(
        metadata=page_metadata(page, size, total),
        content=[
            AvailableFileExt(
                product_id=row.product_id,
                checksum=row.md5,
                file_size=row.size,
                filename=row.filename,
                mime_type=row.mime_type,
                uri=file_uri(base, row.id),
            )
            for row in rows
        ],
    )
    return json_response(body, status_code=status_code)


@router.get(
    "/orders/files/{file_id}",
    response_class=Response,
    responses={
        **AUTH,
        **openapi_responses(NotOrderOwner, OrderNotFound, FileNotAvailable),
        202: {"description": "The file is still being staged; ask again later."},
    },
    summary="Download one ordered file",
    tags=["Data orders"],
)
async def download_file(
    request: Request, file_id: uuid.UUID, database: DatabaseDep, user: DataUserDep, now: NowDep
) -> Response:
    area = staging_area(request)
    try:
        async with database.transaction() as connection:
            download = await downloads.prepare_download(connection, user.email, file_id, area, now)
    except FileNotReady:
        return Response(status_code=202)
    return _tracked(
        request,
        download.order_id,
        file_chunks(download.path, download.size),
        headers={
            "Content-Disposition": content_disposition(download.filename),
            "Content-MD5-Hex": download.md5,
            "Content-Length": str(download.size),
        },
        media_type=download.mime_type,
        sent=[download.file_id],
        cut_fails=[download.file_id],
    )


def _tracked(
    request: Request,
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
    database = request.app.state.database
    clock = request.app.state.clock
    wakeups = request.app.state.wakeups

    async def record(downloaded: list[uuid.UUID], errors: dict[uuid.UUID, str]) -> None:
        if not downloaded and not errors:
            return
        async with database.transaction() as connection:
            await downloads.record_downloads(
                connection, order_id, clock(), downloaded=downloaded, failed=errors
            )
        wakeups.notify(STAGING_TOPIC)

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
        **openapi_responses(InvalidInput, NotOrderOwner, OrderNotFound),
        200: {"description": "A zip of the available files", "content": {"application/zip": {}}},
        204: {"description": "No file of the order is available now."},
    },
    summary="Download every file available now, as one zip",
    description="""The zip is streamed with its length known in advance. A file that cannot be read
from the staging area is left out and named, with the reason, in a `NOTICE.txt` inside the zip (and
marked DOWNLOAD_ERROR). When the whole zip has been sent, its files are DOWNLOADED, which lets the
next sub-orders be staged. A zip cut before its end changes nothing.""",
    tags=["Data orders"],
)
async def download_zip(
    request: Request,
    order_id: OrderId,
    database: DatabaseDep,
    user: DataUserDep,
    now: NowDep,
) -> Response:
    async with database.transaction() as connection:
        _order, rows, _total = await ordering.available_files(connection, user.email, order_id)
    if not rows:
        return Response(status_code=204)
    archive = await asyncio.to_thread(build_zip, rows, staging_area(request))
    filename = f"order_{order_id}_{now:%Y-%m-%dT%H_%M_%S.%fZ}.zip"
    return _tracked(
        request,
        order_id,
        threaded_chunks(archive.chunks()),
        headers={"Content-Disposition": content_disposition(filename), "Content-Length": str(len(archive))},
        media_type="application/zip",
        sent=archive.included,
        cut_fails=[],
        failed=archive.failed,
    )


class OrderFileExt(AvailableFileExt):
    id: uuid.UUID
    state: str = Field(description="PENDING, AVAILABLE, DOWNLOADED, DOWNLOAD_ERROR or ERROR.")
    error: str | None = Field(description="Why the file is in ERROR or DOWNLOAD_ERROR.")


class OrderFilesPageExt(BaseModel):
    metadata: PageMetadata
    content: list[OrderFileExt]


@router.get(
    "/user/orders/{order_id}/files",
    response_model=OrderFilesPageExt,
    responses={**AUTH, **openapi_responses(InvalidInput, NotOrderOwner, OrderNotFound)},
    summary="Every file of an order with its state (and why it failed, if it did)",
    tags=["Data orders"],
)
async def order_files(
    request: Request,
    order_id: OrderId,
    database: DatabaseDep,
    user: DataUserDep,
    page: PageNumber = 0,
    size: PageSize = 50,
) -> Response:
    async with database.transaction() as connection:
        await ordering.get_order(connection, user.email, order_id)
        rows, total = await repository.order_files(connection, order_id, offset=page * size, limit=size)
    base = str(request.base_url).rstrip("/")
    body = OrderFilesPageExt(
        metadata=page_metadata(page, size, total),
        content=[
            OrderFileExt(
                id=row.id,
                product_id=row.product_id,
                checksum=row.md5,
                file_size=row.size,
                filename=row.filename,
                mime_type=row.mime_type,
                uri=file_uri(base, row.id),
                state=row.state,
                error=row.error,
            )
            for row in rows
        ],
    )
    return json_response(body)
