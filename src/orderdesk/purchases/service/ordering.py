"""Use cases of the order API: register, read, complete by the fulfilment API, and a customer's view
of their own orders."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.core import topics
from orderdesk.core.db import on_commit
from orderdesk.core.wakeup import after_commit
from orderdesk.observability import metrics
from orderdesk.purchases import repository
from orderdesk.purchases.errors import OrderNotFound, UnknownClient
from orderdesk.purchases.models import (
    NO_USER_NEEDED,
    Fulfilment,
    FulfilmentStatus,
    NewOrder,
    OrderDetails,
    OrderStatus,
    OrderSummary,
)


async def register_order(connection: AsyncConnection, client_id: str, order: NewOrder, now: datetime) -> int:
    """Store a `preliminary` order. An externalOrderId the client used before returns the order
    first registered with it and stores nothing (a retry after a lost answer is safe). UnknownClient
    when the token's client is not in this database (tokens are checked by signature alone)."""
    if not await repository.clients.client_exists(connection, client_id):
        raise UnknownClient()
    # A payer named by the number of one of the client's own customers is that customer from the start,
    # as in the original's examples; anyone else is linked or created when the order is processed.
    # Another client's number is treated as one that exists nowhere (and fails at processing).
    named = order.payer.get("customerNumber")
    customer = (
        named
        if isinstance(named, int) and await repository.customers.customer_exists(connection, client_id, named)
        else None
    )
    order_id = await repository.orders.insert_order(connection, client_id, order, customer, now)
    if order_id is not None:
        on_commit(connection, lambda: metrics.order_placed("purchases", "purchase"))
        return order_id
    assert order.external_order_id is not None  # only an external id can collide
    existing = await repository.orders.get_order_id_by_external(
        connection, client_id, order.external_order_id
    )
    assert existing is not None
    return existing


async def get_order_status(connection: AsyncConnection, client_id: str, order_id: int) -> OrderSummary:
    """Raises OrderNotFound for an unknown order and for another client's."""
    summary = await repository.orders.get_summary(connection, client_id, order_id)
    if summary is None:
        raise OrderNotFound(f"No order {order_id} of this client.")
    return summary


async def fulfil_order(
    connection: AsyncConnection, client_id: str, order_id: int, callback_url: str | None, now: datetime
) -> Fulfilment:
    """Complete a preliminary order that needs no user (invoice, other, free, or prepaid): it becomes
    `confirmed` and the fulfilment worker processes it. Repeating the call for an order already
    completed is OK and changes nothing but a callback URL not given before. Business refusals are an
    ERROR answer; OrderNotFound for an order that is not the client's."""
    order = await repository.orders.get_order(connection, client_id, order_id, lock=True)
    if order is None:
        raise OrderNotFound(f"No order {order_id} of this client.")
    if order.status is OrderStatus.FAILED:
        return Fulfilment(FulfilmentStatus.ERROR, order_id, f"The order has failed: {order.failure_reason}")
    if order.status is OrderStatus.PRELIMINARY:
        method = order.payment_method
        if not (order.prepaid or method in NO_USER_NEEDED):
            return Fulfilment(
                FulfilmentStatus.ERROR,
                order_id,
                f"paymentMethod {method} needs the user at a payment provider; only invoice, other, free "
                "and prepaid orders are completed by the fulfilment API.",
            )
        await repository.orders.update_order_confirmed(connection, order_id, callback_url, now)
        await after_commit(connection, topics.PURCHASE_FULFILMENT)
        return Fulfilment(FulfilmentStatus.OK, order_id)
    if callback_url is not None and order.callback_url is None:
        # A processed order's outcome is known already: call back now.
        due_at = now if order.status is OrderStatus.PROCESSED else None
        await repository.orders.update_order_callback_url(connection, order_id, callback_url, due_at)
        await after_commit(connection, topics.PURCHASE_CALLBACKS)
    return Fulfilment(FulfilmentStatus.OK, order_id)


async def list_customer_orders(connection: AsyncConnection, email: str) -> list[OrderSummary]:
    """The orders of the customers whose e-mail is the user's, newest first (at most 1000)."""
    return await repository.orders.list_user_orders(connection, email)


async def search_customer_orders(
    connection: AsyncConnection, email: str, *, order_id: int | None, external_order_id: str | None
) -> list[OrderDetails]:
    """One of the user's orders by id or by externalOrderId, with its lines; empty if none matches."""
    summaries = await repository.orders.list_user_orders(
        connection, email, order_id=order_id, external_order_id=external_order_id
    )
    lines = await repository.orders.list_line_states(connection, [summary.order_id for summary in summaries])
    return [OrderDetails(summary, tuple(lines.get(summary.order_id, ()))) for summary in summaries]
