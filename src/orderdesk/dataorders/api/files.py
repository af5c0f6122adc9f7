"""The files of an order: the status endpoint of the seed (200/204/206), every file with its
state, and downloads (one file, or a zip of all available ones) that record whether they arrived."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from orderdesk.core.errors import InvalidInput
from orderdesk.dataorders.api.common import (
    AUTH,
    PREFIX,
    OrderId,
    PageNumber,
    PageSize,
    file_uri,
    page_metadata,
)
from orderdesk.dataorders.errors import OrderNotFound
from orderdesk.dataorders.models import OrderFile
from orderdesk.dataorders.schemas import (
    AvailableFileExt,
    AvailableFilesPageExt,
    OrderFileExt,
    OrderFilesPageExt,
)
from orderdesk.dataorders.service import ordering
from orderdesk.web.deps import DatabaseDep, DataUserDep, PublicBaseUrlDep
from orderdesk.web.log_context import OrderLoggedRoute
from orderdesk.web.problems import openapi_responses
from orderdesk.web.wire import json_response

router = APIRouter(prefix=PREFIX, tags=["Data orders"], route_class=OrderLoggedRoute)


_STATUS_DESCRIPTION = """The order's status told by the HTTP status, and a page of the files that can be
downloaded now: **200** the order is over (every file that could be made available is listed),
**204** pending with no file available yet (empty body), **206** pending with some files available.
Ask again as long as the answer is not 200. An order split into several sub-orders may wait until you
have downloaded the files of the first ones. A token with the role `ADMIN` reads any user's order."""


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
        available = await ordering.available_files(
            connection, user.email, order_id, offset=page * size, limit=size, any_owner=user.is_admin
        )
    if available.over:
        status_code = 200
    elif available.total > 0:
        status_code = 206
    else:
        return Response(status_code=204)
    body = AvailableFilesPageExt(
        metadata=page_metadata(page, size, available.total),
        content=[AvailableFileExt(**_described(base, file)) for file in available.files],
    )
    return json_response(body, status_code=status_code)


@router.get(
    "/user/orders/{order_id}/files",
    response_model=OrderFilesPageExt,
    responses={**AUTH, **openapi_responses(InvalidInput, OrderNotFound)},
    summary="Every file of an order with its state (and why it failed, if it did)",
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
        listed, total = await ordering.order_files(
            connection, user.email, order_id, offset=page * size, limit=size, any_owner=user.is_admin
        )
    body = OrderFilesPageExt(
        metadata=page_metadata(page, size, total),
        content=[
            OrderFileExt(**_described(base, file), id=file.id, state=file.state.value, error=file.error)
            for file in listed
        ],
    )
    return json_response(body)


def _described(base: str, file: OrderFile) -> dict[str, Any]:
    """What the seed tells of a file."""
    return {
        "product_id": file.product_id,
        "checksum": file.md5,
        "file_size": file.size,
        "filename": file.filename,
        "mime_type": file.mime_type,
        "uri": file_uri(base, file.id),
    }
