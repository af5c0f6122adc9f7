"""User mode (`/capi/v1/order/status`): the customer is logged in and sees their own orders, those of
the customers whose e-mail is the user's."""

from __future__ import annotations

from fastapi import APIRouter, Response

from orderdesk.purchases import service
from orderdesk.purchases.api.common import (
    ERRORS,
    NOT_A_USER,
    PREFIX,
    CapiRoute,
    CustomerUserDep,
)
from orderdesk.purchases.api.mapping import details_item, status_item
from orderdesk.purchases.schemas import OrderDetailsList, OrderStatusList, SearchOrderRequest
from orderdesk.web.deps import DatabaseDep
from orderdesk.web.wire import json_response

router = APIRouter(prefix=PREFIX, tags=["Purchase orders: user mode"], route_class=CapiRoute)


@router.get(
    "/order/status",
    response_model=OrderStatusList,
    responses={**ERRORS, **NOT_A_USER},
    summary="List orders",
    description="The logged-in customer's orders with their basic status, newest first (at most 1000).",
)
async def list_orders(user: CustomerUserDep, database: DatabaseDep) -> Response:
    async with database.transaction() as connection:
        orders = await service.ordering.list_customer_orders(connection, user.email)
    return json_response(OrderStatusList(orders=[status_item(order) for order in orders]))


@router.post(
    "/order/status",
    response_model=OrderDetailsList,
    responses={**ERRORS, **NOT_A_USER},
    summary="Search order details",
    description="""One of the customer's orders by `orderId` **or** `externalOrderId` (only one may be
given), with its lines: `invoiceStatus` notInvoiced → invoiced and `deliveryStatus` waiting → delivered
when the order is processed, cancelled when it failed. `orders` is empty when nothing matches.""",
)
async def search_orders(body: SearchOrderRequest, user: CustomerUserDep, database: DatabaseDep) -> Response:
    async with database.transaction() as connection:
        found = await service.ordering.search_customer_orders(
            connection, user.email, order_id=body.order_id, external_order_id=body.external_order_id
        )
    return json_response(OrderDetailsList(orders=[details_item(order) for order in found]))
