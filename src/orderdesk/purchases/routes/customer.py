"""User mode (`/capi/v1/order/status`): the customer is logged in and sees their own orders, those of
the customers whose e-mail is the user's."""

from __future__ import annotations

from fastapi import APIRouter, Response

from orderdesk.purchases import service
from orderdesk.purchases.routes.common import (
    ERRORS,
    NOT_A_USER,
    PREFIX,
    CapiRoute,
    CustomerUserDep,
)
from orderdesk.purchases.routes.orders import epoch_millis, status_item
from orderdesk.purchases.schemas import (
    OrderDetailsItem,
    OrderDetailsList,
    OrderLineState,
    OrderStatusList,
    SearchOrderRequest,
)
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
        orders = await service.list_customer_orders(connection, user.email)
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
        found = await service.search_customer_orders(
            connection, user.email, order_id=body.order_id, external_order_id=body.external_order_id
        )
    items = [
        OrderDetailsItem(
            order_id=order.summary.order_id,
            external_order_id=order.summary.external_order_id,
            order_time=epoch_millis(order.summary.order_time),
            order_status=order.summary.status,
            order_amount=order.summary.amount,
            order_lines=[
                OrderLineState(
                    product_id=line.product_id,
                    description=line.description,
                    invoice_number=line.invoice_number,
                    invoice_time=None if line.invoice_time is None else epoch_millis(line.invoice_time),
                    invoice_line_amount=line.line_amount,
                    invoice_status=line.invoice_status.value,
                    delivery_status=line.delivery_status.value,
                )
                for line in order.lines
            ],
        )
        for order in found
    ]
    return json_response(OrderDetailsList(orders=items))
