"""Wire ↔ domain: a registration request as a NewOrder, and orders as the wire shows them (times in
epoch milliseconds)."""

from __future__ import annotations

from datetime import UTC, datetime

from orderdesk.purchases.models import LineState, NewLine, NewOrder, OrderDetails, OrderSummary
from orderdesk.purchases.schemas import (
    OrderDetailsItem,
    OrderLineState,
    OrderStatusItem,
    RegisterOrderRequest,
)


def epoch_millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def status_item(summary: OrderSummary) -> OrderStatusItem:
    return OrderStatusItem(
        order_id=summary.order_id,
        external_order_id=summary.external_order_id,
        order_time=epoch_millis(summary.order_time),
        order_status=summary.status,
        order_amount=summary.amount,
        customer_number=summary.customer_number,
    )


def line_state(line: LineState) -> OrderLineState:
    return OrderLineState(
        product_id=line.product_id,
        description=line.description,
        invoice_number=line.invoice_number,
        invoice_time=None if line.invoice_time is None else epoch_millis(line.invoice_time),
        invoice_line_amount=line.line_amount,
        invoice_status=line.invoice_status.value,
        delivery_status=line.delivery_status.value,
    )


def details_item(order: OrderDetails) -> OrderDetailsItem:
    return OrderDetailsItem(
        order_id=order.summary.order_id,
        external_order_id=order.summary.external_order_id,
        order_time=epoch_millis(order.summary.order_time),
        order_status=order.summary.status,
        order_amount=order.summary.amount,
        order_lines=[line_state(line) for line in order.lines],
    )


def new_order(body: RegisterOrderRequest, now: datetime) -> NewOrder:
    request = body.model_dump(mode="json", by_alias=True, exclude_none=True)
    return NewOrder(
        external_order_id=body.external_order_id,
        order_time=now if body.order_date is None else datetime.fromtimestamp(body.order_date / 1000, UTC),
        payment_method=body.payment_method,
        amount=body.order_amount,
        currency=body.currency,
        recurring=body.recurring,
        prepaid=body.prepaid,
        payer=request["payer"],
        request=request,
        lines=tuple(
            NewLine(
                spec_type=line.product_spec_type,
                product=line.product,
                spec_code=line.product_spec_code,
                spec_no=line.product_spec_no,
                quantity=line.quantity,
                unit_price=line.unit_price,
                details=details,
            )
            for line, details in zip(body.order_lines, request["orderLines"], strict=True)
        ),
    )
