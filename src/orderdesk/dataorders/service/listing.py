"""Every user's data orders, read by the people who run orderdesk (the operator console): lists newest
first, one order with its sub-orders and files, and the files of every order that are in error. Each
read is a range of an index, however many orders and files there are."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.dataorders.models import OrderFile, OrderRow, OrderStatus, OwnedFile, SuborderRecord
from orderdesk.dataorders.repository import files, orders
from orderdesk.dataorders.service import ordering


async def list_orders(
    connection: AsyncConnection,
    *,
    owner: str | None,
    status: OrderStatus | None,
    after: int | None,
    limit: int,
) -> list[OrderRow]:
    """A page of the orders of every user, or of one, or of one status, deleted ones included;
    `after` is the order id that ended the page before."""
    return await orders.list_all_orders(connection, owner=owner, status=status, after=after, limit=limit)


async def get_order(connection: AsyncConnection, order_id: int) -> OrderRow:
    """The order, whoever owns it; OrderNotFound. Without its per-dataset counts: they are counted
    from every file of the order (a quarter of a second for 100 000 files)."""
    return await ordering.owned_order(connection, "", order_id, any_owner=True)


async def list_suborders(connection: AsyncConnection, order_id: int, limit: int) -> list[SuborderRecord]:
    return await orders.list_suborders(connection, order_id, limit)


async def files_page(
    connection: AsyncConnection, order_id: int, after: tuple[str, uuid.UUID] | None, limit: int
) -> list[OrderFile]:
    """A page of the order's files, by state then id; `after` is the last (state, id) of the page before."""
    return await files.files_page(connection, order_id, after, limit)


async def files_in_error(
    connection: AsyncConnection, after: tuple[datetime, uuid.UUID] | None, limit: int
) -> list[OwnedFile]:
    """A page of the files of every order in ERROR or DOWNLOAD_ERROR, newest first."""
    return await files.files_in_error(connection, after, limit)
