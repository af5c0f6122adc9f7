"""Every client's orders as the people who run orderdesk read them: newest first, of a client or a
status, the ones whose callback fails, and one order with its lines. Each list is a range of an index
read from the key of the previous page's last order (no offset, no count)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Row, select
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.purchases.models import (
    CallbackRecord,
    CallbackState,
    DeliveryStatus,
    InvoiceStatus,
    LineRecord,
    OrderListing,
    OrderRecord,
    OrderStatus,
    PaymentMethod,
    ProductSpecType,
)
from orderdesk.purchases.tables import api_client, purchase_order, purchase_order_line

_order = purchase_order.c
_line = purchase_order_line.c
_LISTING_COLUMNS = (
    _order.order_id,
    _order.client_id,
    api_client.c.name.label("client_name"),
    _order.external_order_id,
    _order.order_time,
    _order.status,
    _order.order_amount,
    _order.currency,
    _order.callback_url,
    _order.callback_state,
    _order.callback_attempts,
    _order.callback_error,
    _order.callback_due_at,
)
_WITH_CLIENT = purchase_order.join(api_client, _order.client_id == api_client.c.client_id)


def _money(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value)


def _listing(row: Row[*tuple[Any, ...]]) -> OrderListing:
    return OrderListing(
        order_id=row.order_id,
        client_id=row.client_id,
        client_name=row.client_name,
        external_order_id=row.external_order_id,
        order_time=row.order_time,
        status=OrderStatus(row.status),
        amount=Decimal(row.order_amount),
        currency=row.currency,
        callback=CallbackRecord(
            url=row.callback_url,
            state=CallbackState(row.callback_state) if row.callback_state else None,
            attempts=row.callback_attempts,
            error=row.callback_error,
            due_at=row.callback_due_at,
        ),
    )


async def _page(
    connection: AsyncConnection, where: list[ColumnElement[bool]], after: int | None, limit: int
) -> list[OrderListing]:
    if after is not None:
        where = [*where, _order.order_id < after]
    query = select(*_LISTING_COLUMNS).select_from(_WITH_CLIENT).where(*where)
    rows = await connection.execute(query.order_by(_order.order_id.desc()).limit(limit))
    return [_listing(row) for row in rows]


async def list_orders(
    connection: AsyncConnection,
    *,
    client_id: str | None,
    status: OrderStatus | None,
    after: int | None,
    limit: int,
) -> list[OrderListing]:
    """Orders of every client (or of `client_id`, of `status`), newest first, after the order id
    `after` of the previous page."""
    where: list[ColumnElement[bool]] = []
    if client_id is not None:
        where.append(_order.client_id == client_id)
    if status is not None:
        where.append(_order.status == status.value)
    return await _page(connection, where, after, limit)


async def list_failing_callbacks(
    connection: AsyncConnection, after: int | None, limit: int
) -> list[OrderListing]:
    """Orders whose last callback call failed (pending a retry, or abandoned), newest first."""
    # Written as the partial index's condition, so that both databases read only that index.
    return await _page(connection, [_order.callback_error.is_not(None)], after, limit)


async def get_order_record(connection: AsyncConnection, order_id: int) -> OrderRecord | None:
    """The order, whoever's it is, with its lines in order."""
    extra = (
        _order.payment_method,
        _order.recurring,
        _order.prepaid,
        _order.payer,
        _order.failure_reason,
        _order.customer_number,
        _order.created_at,
        _order.status_changed_at,
        _order.fulfilled_at,
    )
    query = select(*_LISTING_COLUMNS, *extra).select_from(_WITH_CLIENT).where(_order.order_id == order_id)
    row = (await connection.execute(query)).first()
    if row is None:
        return None
    lines = await connection.execute(
        select(purchase_order_line).where(_line.order_id == order_id).order_by(_line.line_number)
    )
    return OrderRecord(
        listing=_listing(row),
        payment_method=PaymentMethod(row.payment_method),
        recurring=row.recurring,
        prepaid=row.prepaid,
        payer=row.payer,
        failure_reason=row.failure_reason,
        customer_number=row.customer_number,
        created_at=row.created_at,
        status_changed_at=row.status_changed_at,
        fulfilled_at=row.fulfilled_at,
        lines=tuple(
            LineRecord(
                line_number=line.line_number,
                spec_type=ProductSpecType(line.product_spec_type),
                product=line.product,
                spec_code=line.product_spec_code,
                spec_no=line.product_spec_no,
                quantity=line.quantity,
                unit_price=_money(line.unit_price),
                line_amount=_money(line.line_amount),
                description=line.description,
                invoice_number=line.invoice_number,
                invoice_status=InvoiceStatus(line.invoice_status),
                delivery_status=DeliveryStatus(line.delivery_status),
            )
            for line in lines
        ),
    )
