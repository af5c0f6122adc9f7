"""The files of an order: the status endpoint of the seed (200/204/206), every file with its
state, and downloads (one file, or a zip of all available ones) that record whether they arrived."""

from __future__ import annotations

import uuid
from typing import Any

import structlog
from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from orderdesk.core.errors import InvalidInput
from orderdesk.dataorders import ordering, repository
from orderdesk.dataorders.errors import (
    OrderNotFound,
)
from orderdesk.dataorders.models import OrderStatus
from orderdesk.dataorders.routes.common import (
    AUTH,
    PREFIX,
    OrderId,
    PageNumber,
    PageSize,
    file_uri,
    page_metadata,
)
from orderdesk.dataorders.schemas import (
    PageMetadata,
)
from orderdesk.dataorders.staging import is_over
from orderdesk.web.deps import DatabaseDep, DataUserDep, PublicBaseUrlDep
from orderdesk.web.problems import openapi_responses
from orderdesk.web.wire import json_response

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
        **openapi_responses(InvalidInput, OrderNotFound),
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
    base: PublicBaseUrlDep,
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
    if is_over(OrderStatus(order.status)):
        status_code = 200
    elif total > 0:
        status_code = 206
    else:
        return Response(status_code=204)
    body = AvailableFilesPageExt(
        metadata=page_metadata(page, size, total),
        content=[AvailableFileExt(**_described(base, row)) for row in rows],
    )
    return json_response(body, status_code=status_code)


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
    responses={**AUTH, **openapi_responses(InvalidInput, OrderNotFound)},
    summary="Every file of an order with its state (and why it failed, if it did)",
    tags=["Data orders"],
)
async def order_files(
    base: PublicBaseUrlDep,
    order_id: OrderId,
    database: DatabaseDep,
    user: DataUserDep,
    page: PageNumber = 0,
    size: PageSize = 50,
) -> Response:
    async with database.transaction() as connection:
        await ordering.owned_order(connection, user.email, order_id)
        rows, total = await repository.order_files(connection, order_id, offset=page * size, limit=size)
    body = OrderFilesPageExt(
        metadata=page_metadata(page, size, total),
        content=[
            OrderFileExt(**_described(base, row), id=row.id, state=row.state, error=row.error) for row in rows
        ],
    )
    return json_response(body)


def _described(base: str, row: Any) -> dict[str, Any]:
    """What the seed tells of a file (a row of data_order_file)."""
    return {
        "product_id": row.product_id,
        "checksum": row.md5,
        "file_size": row.size,
        "filename": row.filename,
        "mime_type": row.mime_type,
        "uri": file_uri(base, row.id),
    }
