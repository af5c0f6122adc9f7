"""Placing orders (from the basket or applied with queries), reading them, and what a user can do
to one afterwards: pause, resume, delete, retry, restart."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Response

from orderdesk.core.errors import InvalidInput
from orderdesk.dataorders.api.common import (
    AUTH,
    PREFIX,
    OrderId,
    PageNumber,
    PageSize,
    order_ext,
    page_metadata,
)
from orderdesk.dataorders.api.deps import OrderingRulesDep, StagingAreaDep
from orderdesk.dataorders.errors import ActionNotAllowed, OrderNotFound
from orderdesk.dataorders.rules.ordering import USER_SUBORDER_HOURS
from orderdesk.dataorders.schemas import (
    ApplyRequest,
    OrderExt,
    OrderPageExt,
    OrderRequest,
    OrderResponseExt,
)
from orderdesk.dataorders.service import actions, ordering
from orderdesk.web.deps import DatabaseDep, DataUserDep, NowDep, PublicBaseUrlDep
from orderdesk.web.log_context import OrderLoggedRoute, bind_order_id
from orderdesk.web.problems import openapi_responses
from orderdesk.web.wire import json_response

router = APIRouter(prefix=PREFIX, tags=["Data orders"], route_class=OrderLoggedRoute)


@router.post(
    "/user/orders",
    status_code=201,
    response_model=OrderExt,
    responses={
        **AUTH,
        **openapi_responses(InvalidInput),
        204: {"description": "The basket is empty: no order was placed."},
    },
    summary="Order what the basket holds",
)
async def place_order(
    body: OrderRequest,
    database: DatabaseDep,
    user: DataUserDep,
    now: NowDep,
    rules: OrderingRulesDep,
) -> Response:
    async with database.transaction() as connection:
        order = await ordering.place_order(
            connection,
            user.email,
            label=body.label,
            on_success_url=body.on_success_url,
            now=now,
            rules=rules,
        )
    if order is None:
        return Response(status_code=204)
    return json_response(order_ext(order), status_code=201)


@router.post(
    "/user/orders/apply",
    response_model=OrderResponseExt,
    responses={
        **AUTH,
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
)
async def apply_order(
    body: ApplyRequest,
    database: DatabaseDep,
    user: DataUserDep,
    now: NowDep,
    rules: OrderingRulesDep,
    base: PublicBaseUrlDep,
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
                rules=rules,
            )
    except InvalidInput as error:
        return _denied(body, "INVALID_CONTENT", "The request is not valid.", error.errors)
    if order is None:
        return _denied(body, "EMPTY_ORDER", "No catalogue file matches the queries and filters.", None)
    bind_order_id(order.id)
    async with database.transaction() as connection:
        suborders = await ordering.suborder_count(connection, order.id)
    granted = OrderResponseExt(
        status="GRANTED",
        order_id=order.id,
        correlation_id=order.correlation_id,
        download_link=f"{base}{PREFIX}/user/orders/{order.id}/download",
        error_type=None,
        total_sub_orders=suborders,
    )
    return json_response(granted)


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
    return json_response(denied, status_code=422)


@router.get(
    "/user/orders",
    response_model=OrderPageExt,
    responses={**AUTH, **openapi_responses(InvalidInput)},
    summary="The user's orders, newest first (deleted ones left out)",
)
async def list_orders(
    database: DatabaseDep,
    user: DataUserDep,
    page: PageNumber = 0,
    size: PageSize = 20,
) -> Response:
    async with database.transaction() as connection:
        orders, total = await ordering.list_orders(connection, user.email, page=page, size=size)
    body = OrderPageExt(
        metadata=page_metadata(page, size, total),
        content=[order_ext(order) for order in orders],
    )
    return json_response(body)


@router.get(
    "/user/orders/{order_id}",
    response_model=OrderExt,
    responses={**AUTH, **openapi_responses(InvalidInput, OrderNotFound)},
    summary="One order and its progress",
    description="The caller's order; with the role `ADMIN`, any user's (the administrator's view).",
)
async def get_order(order_id: OrderId, database: DatabaseDep, user: DataUserDep) -> Response:
    async with database.transaction() as connection:
        order = await ordering.get_order(connection, user.email, order_id, any_owner=user.is_admin)
    return json_response(order_ext(order))


_ACTION_ERRORS = {**AUTH, **openapi_responses(InvalidInput, OrderNotFound, ActionNotAllowed)}


@router.put(
    "/user/orders/pause/{order_id}",
    response_model=OrderExt,
    responses=_ACTION_ERRORS,
    summary="Pause an order (PENDING or RUNNING): no further sub-order starts",
)
async def pause_order(order_id: OrderId, database: DatabaseDep, user: DataUserDep, now: NowDep) -> Response:
    async with database.transaction() as connection:
        order = await actions.pause(connection, user.email, order_id, now)
    return json_response(order_ext(order))


@router.put(
    "/user/orders/resume/{order_id}",
    response_model=OrderExt,
    responses=_ACTION_ERRORS,
    summary="Resume a PAUSED order (once no sub-order of it is still being staged)",
)
async def resume_order(order_id: OrderId, database: DatabaseDep, user: DataUserDep, now: NowDep) -> Response:
    async with database.transaction() as connection:
        order = await actions.resume(connection, user.email, order_id, now)
    return json_response(order_ext(order))


@router.delete(
    "/user/orders/{order_id}",
    response_model=OrderExt,
    responses=_ACTION_ERRORS,
    summary="Delete an order that is finished, PAUSED or EXPIRED: its staged files are removed",
)
async def delete_order(
    order_id: OrderId,
    database: DatabaseDep,
    user: DataUserDep,
    now: NowDep,
    area: StagingAreaDep,
) -> Response:
    async with database.transaction() as connection:
        order = await actions.delete(connection, user.email, order_id, now)
    await actions.remove_files(area, order_id)
    return json_response(order_ext(order))


@router.put(
    "/user/orders/{order_id}/retry",
    response_model=OrderExt,
    responses=_ACTION_ERRORS,
    summary="Stage again the files of a DONE_WITH_WARNING or FAILED order that failed",
)
async def retry_order(order_id: OrderId, database: DatabaseDep, user: DataUserDep, now: NowDep) -> Response:
    async with database.transaction() as connection:
        order = await actions.retry(connection, user.email, order_id, now, suborder_hours=USER_SUBORDER_HOURS)
    return json_response(order_ext(order))


@router.post(
    "/user/orders/{order_id}/restart",
    status_code=201,
    response_model=OrderExt,
    responses={**_ACTION_ERRORS, 204: {"description": "None of its files is in the catalogue any more."}},
    summary="Order the files of a finished order again, as a new order",
)
async def restart_order(
    order_id: OrderId,
    database: DatabaseDep,
    user: DataUserDep,
    now: NowDep,
    rules: OrderingRulesDep,
    body: OrderRequest | None = None,
) -> Response:
    body = body or OrderRequest()
    async with database.transaction() as connection:
        order = await actions.restart(
            connection,
            user.email,
            order_id,
            label=body.label,
            on_success_url=body.on_success_url,
            now=now,
            rules=rules,
        )
    if order is None:
        return Response(status_code=204)
    return json_response(order_ext(order), status_code=201)
