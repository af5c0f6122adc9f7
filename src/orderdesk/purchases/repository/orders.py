"""The queries of registering, completing and reading orders."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Row, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.core.db import insert_for, lock_for_update
from orderdesk.purchases.models import (
    CallbackState,
    DeliveryStatus,
    InvoiceStatus,
    LineState,
    NewOrder,
    OrderStatus,
    OrderSummary,
    PaymentMethod,
    StoredOrder,
)
from orderdesk.purchases.tables import (
    purchase_customer,
    purchase_invoice,
    purchase_order,
    purchase_order_line,
)

_order = purchase_order.c
_line = purchase_order_line.c
SUMMARY_COLUMNS = (
    _order.order_id,
    _order.external_order_id,
    _order.order_time,
    _order.status,
    _order.order_amount,
    _order.customer_number,
)


def stored_order(row: Row[Any]) -> StoredOrder:
    """A row of `select(purchase_order)` as a typed value."""
    return StoredOrder(
        order_id=row.order_id,
        client_id=row.client_id,
        status=OrderStatus(row.status),
        payment_method=PaymentMethod(row.payment_method),
        amount=Decimal(row.order_amount),
        currency=row.currency,
        prepaid=row.prepaid,
        payer=row.payer,
        failure_reason=row.failure_reason,
        processing_errors=row.processing_errors,
        callback_url=row.callback_url,
    )


def _summary(row: Row[*tuple[Any, ...]]) -> OrderSummary:
    return OrderSummary(
        order_id=row.order_id,
        external_order_id=row.external_order_id,
        order_time=row.order_time,
        status=OrderStatus(row.status),
        amount=Decimal(row.order_amount),
        customer_number=row.customer_number,
    )


async def insert_order(
    connection: AsyncConnection, client_id: str, order: NewOrder, customer_number: int | None, now: datetime
) -> int | None:
    """Store the order and its lines as `preliminary`; None (and nothing stored) when the client has
    an order with this externalOrderId already, also when another request stores it at this moment."""
    statement = (
        insert_for(connection, purchase_order)
        .values(
            client_id=client_id,
            external_order_id=order.external_order_id,
            order_time=order.order_time,
            payment_method=order.payment_method.value,
            order_amount=order.amount,
            currency=order.currency,
            recurring=order.recurring,
            prepaid=order.prepaid,
            payer=order.payer,
            request=order.request,
            status=OrderStatus.PRELIMINARY.value,
            status_changed_at=now,
            customer_number=customer_number,
            processing_errors=0,
            callback_attempts=0,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["client_id", "external_order_id"])
        .returning(_order.order_id)
    )
    order_id: int | None = (await connection.execute(statement)).scalar()
    if order_id is None:
        return None
    await connection.execute(
        purchase_order_line.insert(),
        [
            {
                "order_id": order_id,
                "line_number": number,
                "product_spec_type": line.spec_type.value,
                "product": line.product,
                "product_spec_code": line.spec_code,
                "product_spec_no": line.spec_no,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "details": line.details,
                "invoice_status": InvoiceStatus.NOT_INVOICED.value,
                "delivery_status": DeliveryStatus.WAITING.value,
            }
            for number, line in enumerate(order.lines, start=1)
        ],
    )
    return order_id


async def get_order_id_by_external(
    connection: AsyncConnection, client_id: str, external_id: str
) -> int | None:
    result = await connection.execute(
        select(_order.order_id).where(_order.client_id == client_id, _order.external_order_id == external_id)
    )
    found: int | None = result.scalar()
    return found


async def get_order(
    connection: AsyncConnection, client_id: str, order_id: int, *, lock: bool = False
) -> StoredOrder | None:
    """The client's order (another client's is as good as absent); `lock` keeps it until commit."""
    query = select(purchase_order).where(_order.order_id == order_id, _order.client_id == client_id)
    if lock:
        await lock_for_update(connection)
        query = query.with_for_update()
    row = (await connection.execute(query)).first()
    return None if row is None else stored_order(row)


async def get_summary(connection: AsyncConnection, client_id: str, order_id: int) -> OrderSummary | None:
    query = select(*SUMMARY_COLUMNS).where(_order.order_id == order_id, _order.client_id == client_id)
    row = (await connection.execute(query)).first()
    return None if row is None else _summary(row)


async def update_order_confirmed(
    connection: AsyncConnection, order_id: int, callback_url: str | None, now: datetime
) -> None:
    """Completed by the fulfilment API: `confirmed`, for the fulfilment worker to process."""
    await connection.execute(
        update(purchase_order)
        .where(_order.order_id == order_id)
        .values(
            status=OrderStatus.CONFIRMED.value,
            status_changed_at=now,
            fulfilled_at=now,
            callback_url=callback_url,
        )
    )


async def update_order_callback_url(
    connection: AsyncConnection, order_id: int, callback_url: str, due_at: datetime | None
) -> None:
    """A callback URL given after completion; with `due_at` (the outcome is known) the callback is
    pending from then on."""
    values: dict[str, Any] = {"callback_url": callback_url}
    if due_at is not None:
        values.update(callback_state=CallbackState.PENDING.value, callback_due_at=due_at)
    await connection.execute(update(purchase_order).where(_order.order_id == order_id).values(**values))


def _of_user(email: str) -> ColumnElement[bool]:
    """Orders of the customers a user is: those whose e-mail is the user's, of every client (the user
    token proves the e-mail, and each client's customer with that e-mail is this person)."""
    customers = select(purchase_customer.c.customer_number).where(purchase_customer.c.email == email.lower())
    return _order.customer_number.in_(customers.scalar_subquery())


async def list_user_orders(
    connection: AsyncConnection,
    email: str,
    *,
    order_id: int | None = None,
    external_order_id: str | None = None,
    limit: int = 1000,
) -> list[OrderSummary]:
    query = select(*SUMMARY_COLUMNS).where(_of_user(email))
    if order_id is not None:
        query = query.where(_order.order_id == order_id)
    if external_order_id is not None:
        query = query.where(_order.external_order_id == external_order_id)
    rows = (await connection.execute(query.order_by(_order.order_id.desc()).limit(limit))).all()
    return [_summary(row) for row in rows]


async def list_line_states(
    connection: AsyncConnection, order_ids: Iterable[int]
) -> dict[int, list[LineState]]:
    """The lines of these orders as their customer sees them, by order id, in line order."""
    query = (
        select(
            _line.order_id,
            _line.product,
            _line.product_spec_code,
            _line.description,
            _line.invoice_number,
            _line.line_amount,
            _line.invoice_status,
            _line.delivery_status,
            purchase_invoice.c.created_at.label("invoice_time"),
        )
        .select_from(purchase_order_line.outerjoin(purchase_invoice))
        .where(_line.order_id.in_(list(order_ids)))
        .order_by(_line.order_id, _line.line_number)
    )
    lines: dict[int, list[LineState]] = {}
    for row in await connection.execute(query):
        lines.setdefault(row.order_id, []).append(
            LineState(
                product_id=row.product or row.product_spec_code,
                description=row.description,
                invoice_number=row.invoice_number,
                invoice_time=row.invoice_time,
                line_amount=None if row.line_amount is None else Decimal(row.line_amount),
                invoice_status=InvoiceStatus(row.invoice_status),
                delivery_status=DeliveryStatus(row.delivery_status),
            )
        )
    return lines
