"""Every client's orders, read by the people who run orderdesk (the operator console): lists newest
first, the orders whose callback fails, and one order with its lines."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.purchases import repository
from orderdesk.purchases.errors import OrderNotFound
from orderdesk.purchases.models import OrderListing, OrderRecord, OrderStatus


async def list_orders(
    connection: AsyncConnection,
    *,
    client_id: str | None,
    status: OrderStatus | None,
    after: int | None,
    limit: int,
) -> list[OrderListing]:
    """A page of the orders of every client, or of one, or of one status; `after` is the order id
    that ended the page before."""
    return await repository.listing.list_orders(
        connection, client_id=client_id, status=status, after=after, limit=limit
    )


async def list_failing_callbacks(
    connection: AsyncConnection, after: int | None, limit: int
) -> list[OrderListing]:
    """A page of the orders whose last callback call failed, pending another or abandoned."""
    return await repository.listing.list_failing_callbacks(connection, after, limit)


async def get_order_record(connection: AsyncConnection, order_id: int) -> OrderRecord:
    """The order of whichever client, with its lines; OrderNotFound."""
    record = await repository.listing.get_order_record(connection, order_id)
    if record is None:
        raise OrderNotFound(f"No order {order_id}.")
    return record
