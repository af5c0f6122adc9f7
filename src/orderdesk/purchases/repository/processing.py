"""The queries of the fulfilment worker: the claim of confirmed orders, their lines, invoices, and
each order's outcome."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.core.db import lock_for_update
from orderdesk.purchases.models import (
    CallbackState,
    LineOutcome,
    OrderStatus,
    ProductSpecType,
    StoredLine,
    StoredOrder,
)
from orderdesk.purchases.repository.orders import stored_order
from orderdesk.purchases.tables import purchase_invoice, purchase_order, purchase_order_line

_order = purchase_order.c
_line = purchase_order_line.c


async def claim_confirmed(connection: AsyncConnection, limit: int) -> list[StoredOrder]:
    """Confirmed orders to process in this transaction; locked so that no other worker takes them
    (PostgreSQL skips rows another worker holds; SQLite has one writer at a time)."""
    await lock_for_update(connection)
    query = (
        select(purchase_order)
        .where(_order.status == OrderStatus.CONFIRMED.value)
        .order_by(_order.status_changed_at, _order.order_id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [stored_order(row) for row in (await connection.execute(query)).all()]


async def list_lines(connection: AsyncConnection, order_ids: Sequence[int]) -> list[StoredLine]:
    """The lines of these orders, in line order."""
    query = select(purchase_order_line).where(_line.order_id.in_(order_ids)).order_by(_line.line_number)
    return [
        StoredLine(
            line_id=row.id,
            order_id=row.order_id,
            spec_type=ProductSpecType(row.product_spec_type),
            product=row.product,
            spec_code=row.product_spec_code,
            spec_no=row.product_spec_no,
            quantity=row.quantity,
            unit_price=None if row.unit_price is None else Decimal(row.unit_price),
            details=row.details,
        )
        for row in (await connection.execute(query)).all()
    ]


async def insert_invoice(
    connection: AsyncConnection,
    order_id: int,
    customer_number: int,
    amount: Decimal,
    currency: str,
    now: datetime,
) -> int:
    statement = (
        purchase_invoice.insert()
        .values(
            order_id=order_id,
            customer_number=customer_number,
            amount=amount,
            currency=currency,
            created_at=now,
        )
        .returning(purchase_invoice.c.invoice_number)
    )
    number: int = (await connection.execute(statement)).scalar_one()
    return number


async def update_lines(connection: AsyncConnection, outcomes: Sequence[LineOutcome]) -> None:
    """Write the outcome of many lines in one executemany."""
    if not outcomes:
        return
    statement = (
        update(purchase_order_line)
        .where(_line.id == bindparam("line_id"))
        .values(
            product_id=bindparam("product_id"),
            description=bindparam("description"),
            line_amount=bindparam("line_amount"),
            invoice_number=bindparam("invoice_number"),
            invoice_status=bindparam("invoice_status"),
            delivery_status=bindparam("delivery_status"),
        )
    )
    await connection.execute(
        statement,
        [
            {
                "line_id": outcome.line_id,
                "product_id": outcome.product_id,
                "description": outcome.description,
                "line_amount": outcome.line_amount,
                "invoice_number": outcome.invoice_number,
                "invoice_status": outcome.invoice_status.value,
                "delivery_status": outcome.delivery_status.value,
            }
            for outcome in outcomes
        ],
    )


def _callback_due(due_at: datetime | None) -> dict[str, Any]:
    """The columns that make a callback pending from `due_at` (none without it)."""
    if due_at is None:
        return {}
    return {"callback_state": CallbackState.PENDING.value, "callback_due_at": due_at}


async def update_order_processing_errors(
    connection: AsyncConnection, order_id: int, errors: int, now: datetime
) -> None:
    """Count a refusal by the database; the order goes to the back of the queue."""
    await connection.execute(
        update(purchase_order)
        .where(_order.order_id == order_id)
        .values(processing_errors=errors, status_changed_at=now)
    )


async def update_order_processed(
    connection: AsyncConnection,
    order_id: int,
    customer_number: int,
    now: datetime,
    callback_due_at: datetime | None,
) -> None:
    """`processed` for this customer; with `callback_due_at` the callback is pending from then."""
    await connection.execute(
        update(purchase_order)
        .where(_order.order_id == order_id)
        .values(
            status=OrderStatus.PROCESSED.value,
            status_changed_at=now,
            customer_number=customer_number,
            **_callback_due(callback_due_at),
        )
    )


async def update_order_failed(
    connection: AsyncConnection,
    order_id: int,
    reason: str,
    customer_number: int | None,
    now: datetime,
    callback_due_at: datetime | None,
) -> None:
    """`failed` for `reason`, with the customer the payer already is (if any); with `callback_due_at`
    the callback is pending from then."""
    await connection.execute(
        update(purchase_order)
        .where(_order.order_id == order_id)
        .values(
            status=OrderStatus.FAILED.value,
            status_changed_at=now,
            processing_errors=0,
            failure_reason=reason,
            customer_number=customer_number,
            **_callback_due(callback_due_at),
        )
    )
