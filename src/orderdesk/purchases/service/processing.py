"""Carrying a confirmed order to `processed` or `failed`: the customer linked or created, every line
checked against the catalogue, the lines' total against the order amount, and an invoice written.
The fulfilment worker (tasks.fulfilment) claims the orders and owns the transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.purchases import repository
from orderdesk.purchases.errors import OrderRejected
from orderdesk.purchases.models import CatalogProduct, StoredLine, StoredOrder
from orderdesk.purchases.rules.customers import customer_sort_key
from orderdesk.purchases.rules.lines import cancelled, check_lines, delivered, line_key
from orderdesk.purchases.service.customers import customer_for, existing_customer

_log = structlog.get_logger(__name__)

MAX_PROCESSING_ERRORS = 5


@dataclass(frozen=True, slots=True)
class Batch:
    """Claimed orders with what their processing reads: their lines and the products these name."""

    orders: tuple[StoredOrder, ...]
    lines: dict[int, list[StoredLine]]
    products: dict[str, CatalogProduct]

    def lines_of(self, order: StoredOrder) -> list[StoredLine]:
        return self.lines.get(order.order_id, [])


async def load_batch(connection: AsyncConnection, orders: Sequence[StoredOrder]) -> Batch:
    """The orders' lines and products, read at once; the orders in the order of the customers they
    may create, so that two workers take the customers' unique keys in the same order and never wait
    on each other in a cycle (a deadlock)."""
    lines = await repository.processing.list_lines(connection, [order.order_id for order in orders])
    products = await repository.catalog.get_products_by_key(connection, (line_key(line) for line in lines))
    lines_of: dict[int, list[StoredLine]] = {}
    for line in lines:
        lines_of.setdefault(line.order_id, []).append(line)
    return Batch(tuple(sorted(orders, key=customer_sort_key)), lines_of, products)


async def process_order(
    connection: AsyncConnection,
    order: StoredOrder,
    lines: Sequence[StoredLine],
    products: dict[str, CatalogProduct],
    now: datetime,
) -> bool:
    """`processed` with an invoice, or `failed` with the reason; True when a callback became due."""
    callback_due_at = now if order.callback_url else None
    try:
        # Every refusal is found before anything is written: the batch's transaction stays clean.
        checked = check_lines(lines, products, order.amount)
        customer = await customer_for(connection, order.client_id, order.payer, now)
    except OrderRejected as rejected:
        known = await existing_customer(connection, order.client_id, order.payer)
        await _fail(connection, order.order_id, lines, str(rejected)[:500], now, known, callback_due_at)
        return callback_due_at is not None
    invoice = await repository.processing.insert_invoice(
        connection, order.order_id, customer, order.amount, order.currency, now
    )
    await repository.processing.update_lines(connection, [delivered(line, invoice) for line in checked])
    await repository.processing.update_order_processed(
        connection, order.order_id, customer, now, callback_due_at
    )
    return callback_due_at is not None


async def set_aside(connection: AsyncConnection, order: StoredOrder, error: Exception, now: datetime) -> None:
    """An order the database refused (a value it cannot hold, say) must not hold up the others: it
    goes to the back of the queue, and fails after MAX_PROCESSING_ERRORS such refusals."""
    errors = order.processing_errors + 1
    _log.error("purchase_order_processing_error", order_id=order.order_id, errors=errors, exc_info=error)
    if errors < MAX_PROCESSING_ERRORS:
        await repository.processing.update_order_processing_errors(connection, order.order_id, errors, now)
        return
    reason = f"The order could not be processed ({type(error).__name__})."
    lines = await repository.processing.list_lines(connection, [order.order_id])
    await _fail(connection, order.order_id, lines, reason, now, None, now if order.callback_url else None)


async def _fail(
    connection: AsyncConnection,
    order_id: int,
    lines: Sequence[StoredLine],
    reason: str,
    now: datetime,
    customer: int | None,
    callback_due_at: datetime | None,
) -> None:
    _log.info("purchase_order_failed", order_id=order_id, reason=reason)
    await repository.processing.update_lines(connection, [cancelled(line) for line in lines])
    await repository.processing.update_order_failed(
        connection, order_id, reason, customer, now, callback_due_at
    )
