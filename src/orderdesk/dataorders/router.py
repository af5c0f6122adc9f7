"""HTTP endpoints of data orders under `/api/v1/rs-order`. So far: the basket and placing and
reading orders."""

from __future__ import annotations

import asyncio
import math
import uuid
from collections.abc import AsyncIterator
from pathlib import Path as FilePath
from typing import Annotated, Literal

import structlog
from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, Field

from orderdesk.auth.errors import Forbidden, Unauthenticated
from orderdesk.core.errors import InvalidInput
from orderdesk.dataorders import actions, downloads, ordering, repository, service
from orderdesk.dataorders.errors import (
    ActionNotAllowed,
    DatasetNotFound,
    EmptyBasket,
    EmptySelection,
    FileNotAvailable,
    FileNotReady,
    NotOrderOwner,
    OrderNotFound,
)
from orderdesk.dataorders.models import Basket, DataOrder
from orderdesk.dataorders.ordering import OrderingRules
from orderdesk.dataorders.schemas import (
    ApplyRequest,
    BasketExt,
    BasketSelectionExt,
    BasketSelectionRequest,
    DatasetTaskExt,
    OrderExt,
    OrderPageExt,
    OrderRequest,
    OrderResponseExt,
    PageMetadata,
)
from orderdesk.dataorders.staging import STAGING_TOPIC, is_over, remove_staged_files
from orderdesk.dataorders.streaming import TrackedStream, content_disposition, file_chunks, threaded_chunks
from orderdesk.dataorders.zipping import build_zip
from orderdesk.settings import Settings
from orderdesk.web.deps import DatabaseDep, DataUserDep, NowDep
from orderdesk.web.problems import openapi_responses

PREFIX = "/api/v1/rs-order"
_log = structlog.get_logger(__name__)
router = APIRouter(prefix=PREFIX, tags=["Data orders: basket"])
_AUTH = openapi_responses(Unauthenticated, Forbidden)


def _basket_ext(basket: Basket) -> BasketExt:
    return BasketExt(
        owner=basket.owner,
        selections=[
            BasketSelectionExt(
                id=item.id,
                dataset=item.dataset,
                product_ids=list(item.product_ids) if item.product_ids is not None else None,
                filename_regexp=item.filename_pattern,
                products_count=item.products,
                files_count=item.files,
                files_size=item.bytes,
            )
            for item in basket.selections
        ],
        files_count=basket.files,
        files_size=basket.bytes,
    )


def _json(model: BaseModel, status_code: int = 200) -> Response:
    """Wire models serialise by their camelCase aliases."""
    return Response(
        model.model_dump_json(by_alias=True), status_code=status_code, media_type="application/json"
    )


@router.get(
    "/order/basket",
    response_model=BasketExt,
    responses=_AUTH,
    summary="The user's basket",
)
async def get_basket(database: DatabaseDep, user: DataUserDep) -> Response:
    async with database.transaction() as connection:
        return _json(_basket_ext(await service.get_basket(connection, user.email)))


@router.post(
    "/order/basket/selection",
    response_model=BasketExt,
    responses={
        **_AUTH,
        **openapi_responses(InvalidInput, DatasetNotFound),
        204: {"description": "The selection holds no file (e.g. unknown product ids); nothing was added."},
    },
    summary="Add a selection of catalogue files to the basket",
)
async def add_selection(
    body: BasketSelectionRequest, database: DatabaseDep, user: DataUserDep, now: NowDep
) -> Response:
    try:
        async with database.transaction() as connection:
            basket = await service.add_to_basket(
                connection,
                user.email,
                dataset=body.dataset,
                product_ids=body.product_ids,
                query=body.query,
                filename_pattern=body.filename_regexp,
                now=now,
            )
    except EmptySelection:
        return Response(status_code=204)
    return _json(_basket_ext(basket))


@router.delete(
    "/order/basket",
    status_code=204,
    response_class=Response,
    responses=_AUTH,
    summary="Empty the basket",
)
async def empty_basket(database: DatabaseDep, user: DataUserDep) -> Response:
    async with database.transaction() as connection:
        await service.empty_basket(connection, user.email)
    return Response(status_code=204)


def _page(number: int, size: int, total: int) -> PageMetadata:
    return PageMetadata(number=number, size=size, total_elements=total, total_pages=math.ceil(total / size))


def _order_ext(order: DataOrder) -> OrderExt:
    return OrderExt(
        id=order.id,
        owner=order.owner,
        label=order.label,
        creation_date=order.created_at,
        expiration_date=order.expires_at,
        percent_completed=order.percent_completed,
        files_in_error_count=order.files_in_error,
        available_files_count=order.available_files,
        status=order.status.value,
        status_date=order.status_changed_at,
        waiting_for_user=order.waiting_for_user,
        correlation_id=order.correlation_id,
        on_success_url=order.on_success_url,
        message=order.message,
        dataset_tasks=[
            DatasetTaskExt(
                dataset_label=part.dataset,
                objects_count=part.products,
                files_count=part.files,
                files_size=part.bytes,
            )
            for part in order.datasets
        ],
    )


@router.post(
    "/user/orders",
    status_code=201,
    response_model=OrderExt,
    responses={
        **_AUTH,
        **openapi_responses(InvalidInput),
        204: {"description": "The basket is empty: no order was placed."},
    },
    summary="Order what the basket holds",
    tags=["Data orders"],
)
async def place_order(
    request: Request, body: OrderRequest, database: DatabaseDep, user: DataUserDep, now: NowDep
) -> Response:
    rules = _ordering_rules(request)
    try:
        async with database.transaction() as connection:
            order = await ordering.place_order(
                connection,
                user.email,
                label=body.label,
                on_success_url=body.on_success_url,
                now=now,
                rules=rules,
            )
    except EmptyBasket:
        return Response(status_code=204)
    request.app.state.wakeups.notify(STAGING_TOPIC)
    return _json(_order_ext(order), status_code=201)


@router.post(
    "/user/orders/apply",
    response_model=OrderResponseExt,
    responses={
        **_AUTH,
        **openapi_responses(InvalidInput),
        422: {
            "description": "DENIED: a query or the pattern is wrong, or nothing matches.",
            "model": OrderResponseExt,
        },
    },
    summary="Select files with queries and order them in one call",
    description="""The basket is left alone. Each query is `productId:ID` or `productId:(ID1 OR ID2 …)`
and looks in every dataset. The order lives (sub-orders + 2) x 2 hours, as orders applied this way
do in the original. **200** with `status: GRANTED` and the `orderId`; **422** with `status: DENIED` and
`errorType` `INVALID_CONTENT` (with `errors` naming the query or `filenameRegExp`) or `EMPTY_ORDER`.
A body that is not of this shape is a 400 problem.""",
    tags=["Data orders"],
)
async def apply_order(
    request: Request, body: ApplyRequest, database: DatabaseDep, user: DataUserDep, now: NowDep
) -> Response:
    filters = body.filters
    try:
        async with database.transaction() as connection:
            order = await ordering.apply_order(
                connection,
                user.email,
                queries=body.queries,
                filename_pattern=filters.filename_regexp if filters else None,
                data_types=filters.data_types if filters else None,
                correlation_id=body.correlation_id,
                now=now,
                rules=_ordering_rules(request),
            )
    except InvalidInput as error:
        return _denied(body, "INVALID_CONTENT", "The request is not valid.", error.errors)
    except EmptyBasket:
        return _denied(body, "EMPTY_ORDER", "No catalogue file matches the queries and filters.", None)
    request.app.state.wakeups.notify(STAGING_TOPIC)
    async with database.transaction() as connection:
        suborders = await repository.suborder_count(connection, order.id)
    base = str(request.base_url).rstrip("/")
    granted = OrderResponseExt(
        status="GRANTED",
        order_id=order.id,
        correlation_id=order.correlation_id,
        download_link=f"{base}{PREFIX}/user/orders/{order.id}/download",
        error_type=None,
        total_sub_orders=suborders,
    )
    return _json(granted)


def _denied(
    body: ApplyRequest,
    error_type: Literal["INVALID_CONTENT", "EMPTY_ORDER"],
    message: str,
    errors: dict[str, list[str]] | None,
) -> Response:
    denied = OrderResponseExt(
        status="DENIED",
        order_id=None,
        correlation_id=body.correlation_id,
        message=message,
        download_link=None,
        error_type=error_type,
        errors=errors,
        total_sub_orders=None,
    )
    return _json(denied, status_code=422)


@router.get(
    "/user/orders",
    response_model=OrderPageExt,
    responses={**_AUTH, **openapi_responses(InvalidInput)},
    summary="The user's orders, newest first (deleted ones left out)",
    tags=["Data orders"],
)
async def list_orders(
    database: DatabaseDep,
    user: DataUserDep,
    page: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    size: Annotated[int, Query(ge=1, le=1000)] = 20,
) -> Response:
    async with database.transaction() as connection:
        orders, total = await ordering.list_orders(connection, user.email, page=page, size=size)
    body = OrderPageExt(
        metadata=_page(page, size, total),
        content=[_order_ext(order) for order in orders],
    )
    return _json(body)


@router.get(
    "/user/orders/{order_id}",
    response_model=OrderExt,
    responses={**_AUTH, **openapi_responses(InvalidInput, NotOrderOwner, OrderNotFound)},
    summary="One order and its progress",
    tags=["Data orders"],
)
async def get_order(
    order_id: Annotated[int, Path(ge=1, le=2**31 - 1)], database: DatabaseDep, user: DataUserDep
) -> Response:
    async with database.transaction() as connection:
        order = await ordering.get_order(connection, user.email, order_id)
    return _json(_order_ext(order))


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
        **_AUTH,
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
    order_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    database: DatabaseDep,
    user: DataUserDep,
    page: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    size: Annotated[int, Query(ge=1, le=1000)] = 50,
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
        metadata=_page(page, size, total),
        content=[
            AvailableFileExt(
                product_id=row.product_id,
                checksum=row.md5,
                file_size=row.size,
                filename=row.filename,
                mime_type=row.mime_type,
                uri=_file_uri(base, row.id),
            )
            for row in rows
        ],
    )
    return _json(body, status_code=status_code)


@router.get(
    "/orders/files/{file_id}",
    response_class=Response,
    responses={
        **_AUTH,
        **openapi_responses(NotOrderOwner, OrderNotFound, FileNotAvailable),
        202: {"description": "The file is still being staged; ask again later."},
    },
    summary="Download one ordered file",
    tags=["Data orders"],
)
async def download_file(
    request: Request, file_id: uuid.UUID, database: DatabaseDep, user: DataUserDep, now: NowDep
) -> Response:
    area = _area(request)
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


def _area(request: Request) -> FilePath:
    settings: Settings = request.app.state.settings
    return settings.dataorder_area


def _file_uri(base: str, file_id: uuid.UUID) -> str:
    return f"{base}{PREFIX}/orders/files/{file_id}"


@router.get(
    "/user/orders/{order_id}/download",
    response_class=Response,
    responses={
        **_AUTH,
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
    order_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    database: DatabaseDep,
    user: DataUserDep,
    now: NowDep,
) -> Response:
    async with database.transaction() as connection:
        _order, rows, _total = await ordering.available_files(connection, user.email, order_id)
    if not rows:
        return Response(status_code=204)
    archive = await asyncio.to_thread(build_zip, rows, _area(request))
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
    responses={**_AUTH, **openapi_responses(InvalidInput, NotOrderOwner, OrderNotFound)},
    summary="Every file of an order with its state (and why it failed, if it did)",
    tags=["Data orders"],
)
async def order_files(
    request: Request,
    order_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    database: DatabaseDep,
    user: DataUserDep,
    page: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    size: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> Response:
    async with database.transaction() as connection:
        await ordering.get_order(connection, user.email, order_id)
        rows, total = await repository.order_files(connection, order_id, offset=page * size, limit=size)
    base = str(request.base_url).rstrip("/")
    body = OrderFilesPageExt(
        metadata=_page(page, size, total),
        content=[
            OrderFileExt(
                id=row.id,
                product_id=row.product_id,
                checksum=row.md5,
                file_size=row.size,
                filename=row.filename,
                mime_type=row.mime_type,
                uri=_file_uri(base, row.id),
                state=row.state,
                error=row.error,
            )
            for row in rows
        ],
    )
    return _json(body)


_ORDER_ID = Annotated[int, Path(ge=1, le=2**31 - 1)]
_ACTION_ERRORS = {**_AUTH, **openapi_responses(InvalidInput, NotOrderOwner, OrderNotFound, ActionNotAllowed)}


@router.put(
    "/user/orders/pause/{order_id}",
    response_model=OrderExt,
    responses=_ACTION_ERRORS,
    summary="Pause an order (PENDING or RUNNING): no further sub-order starts",
    tags=["Data orders"],
)
async def pause_order(order_id: _ORDER_ID, database: DatabaseDep, user: DataUserDep, now: NowDep) -> Response:
    async with database.transaction() as connection:
        order = await actions.pause(connection, user.email, order_id, now)
    return _json(_order_ext(order))


@router.put(
    "/user/orders/resume/{order_id}",
    response_model=OrderExt,
    responses=_ACTION_ERRORS,
    summary="Resume a PAUSED order (once no sub-order of it is still being staged)",
    tags=["Data orders"],
)
async def resume_order(
    request: Request, order_id: _ORDER_ID, database: DatabaseDep, user: DataUserDep, now: NowDep
) -> Response:
    async with database.transaction() as connection:
        order = await actions.resume(connection, user.email, order_id, now)
    request.app.state.wakeups.notify(STAGING_TOPIC)
    return _json(_order_ext(order))


@router.delete(
    "/user/orders/{order_id}",
    response_model=OrderExt,
    responses=_ACTION_ERRORS,
    summary="Delete an order that is finished, PAUSED or EXPIRED: its staged files are removed",
    tags=["Data orders"],
)
async def delete_order(
    request: Request, order_id: _ORDER_ID, database: DatabaseDep, user: DataUserDep, now: NowDep
) -> Response:
    async with database.transaction() as connection:
        await actions.delete(connection, user.email, order_id, now)
        order = await ordering.get_order(connection, user.email, order_id)
    await remove_staged_files(_area(request), order_id)
    request.app.state.wakeups.notify(STAGING_TOPIC)
    return _json(_order_ext(order))


@router.put(
    "/user/orders/{order_id}/retry",
    response_model=OrderExt,
    responses=_ACTION_ERRORS,
    summary="Stage again the files of a DONE_WITH_WARNING or FAILED order that failed",
    tags=["Data orders"],
)
async def retry_order(
    request: Request, order_id: _ORDER_ID, database: DatabaseDep, user: DataUserDep, now: NowDep
) -> Response:
    async with database.transaction() as connection:
        order = await actions.retry(
            connection, user.email, order_id, now, suborder_hours=ordering.USER_SUBORDER_HOURS
        )
    request.app.state.wakeups.notify(STAGING_TOPIC)
    return _json(_order_ext(order))


@router.post(
    "/user/orders/{order_id}/restart",
    status_code=201,
    response_model=OrderExt,
    responses={**_ACTION_ERRORS, 204: {"description": "None of its files is in the catalogue any more."}},
    summary="Order the files of a finished order again, as a new order",
    tags=["Data orders"],
)
async def restart_order(
    request: Request,
    order_id: _ORDER_ID,
    database: DatabaseDep,
    user: DataUserDep,
    now: NowDep,
    body: OrderRequest | None = None,
) -> Response:
    body = body or OrderRequest()
    try:
        async with database.transaction() as connection:
            order = await actions.restart(
                connection,
                user.email,
                order_id,
                label=body.label,
                on_success_url=body.on_success_url,
                now=now,
                rules=_ordering_rules(request),
            )
    except EmptyBasket:
        return Response(status_code=204)
    request.app.state.wakeups.notify(STAGING_TOPIC)
    return _json(_order_ext(order), status_code=201)


def _ordering_rules(request: Request) -> OrderingRules:
    settings: Settings = request.app.state.settings
    return OrderingRules(bucket_bytes=settings.dataorders.bucket_mb * 1024 * 1024)
