"""An order's counters and status following its files, after staging, downloads and actions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.dataorders.errors import OrderNotFound
from orderdesk.dataorders.models import OrderRow, SuborderState
from orderdesk.dataorders.repository import files, orders
from orderdesk.dataorders.rules.status import progress, settled_status
from orderdesk.dataorders.service import events
from orderdesk.webhooks.models import OwnedEvent


async def locked_order(connection: AsyncConnection, order_id: int) -> OrderRow:
    """The order, its row held until commit (see repository.orders.lock_order); OrderNotFound if
    there is none (order rows are never deleted: a caller holding its id finds it)."""
    order = await orders.lock_order(connection, order_id)
    if order is None:
        raise OrderNotFound()
    return order


async def refresh_order(connection: AsyncConnection, order: OrderRow, now: datetime) -> OwnedEvent | None:
    """Recompute the order's counters from its files, and its status once no file is PENDING.

    `order` is as the caller knows it under the order's lock, its status the current one (set by the
    caller, if it changed it). The event of the status change, None when the status stays: the
    caller records it with the other events of its transaction."""
    tallies = await files.state_tallies(connection, order.id)
    staged = await orders.suborders_in(connection, order.id, SuborderState.STAGED)
    await orders.update_progress(connection, order.id, progress(tallies, staged))
    status = settled_status(tallies)
    if status is None or not await orders.settle_status(connection, order.id, status, order.status, now):
        return None
    return events.status_changed(order, status, now)
