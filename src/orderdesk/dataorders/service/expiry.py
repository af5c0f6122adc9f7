"""Orders past their expiry date: the original's rule makes an order still in progress, or finished
with files not yet downloaded, EXPIRED (its sub-orders end, freeing the owner's slots). Staged files
of every expired, deleted or unknown order are removed from the staging area, also those a crash
left behind between a status change and the removal."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.dataorders.models import OrderStatus
from orderdesk.dataorders.repository import orders
from orderdesk.dataorders.rules.status import is_gone
from orderdesk.dataorders.service.actions import close_orders


async def expire_due(connection: AsyncConnection, now: datetime, batch: int) -> list[int]:
    """Up to `batch` orders due to expire EXPIRED; their ids. The caller removes their staged files
    after commit."""
    order_ids = await orders.claim_due_for_expiry(connection, now, batch)
    if order_ids:
        await close_orders(connection, order_ids, OrderStatus.EXPIRED, now)
    return order_ids


async def live_orders(connection: AsyncConnection, order_ids: Collection[int], now: datetime) -> set[int]:
    """Those of the orders whose staged files must stay: they exist, are neither deleted nor
    expired, and are not past their expiry."""
    return {
        life.id
        for life in await orders.order_lives(connection, order_ids)
        if not is_gone(life.status) and life.expires_at >= now
    }
