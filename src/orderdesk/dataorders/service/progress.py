"""An order's counters and status following its files, after staging, downloads and actions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.dataorders.models import SuborderState
from orderdesk.dataorders.repository import files, orders
from orderdesk.dataorders.rules.status import progress, settled_status


async def refresh_order(connection: AsyncConnection, order_id: int, now: datetime) -> None:
    """Recompute the order's counters from its files, and its status once no file is PENDING."""
    tallies = await files.state_tallies(connection, order_id)
    staged = await orders.suborders_in(connection, order_id, SuborderState.STAGED)
    await orders.update_progress(connection, order_id, progress(tallies, staged))
    status = settled_status(tallies)
    if status is not None:
        await orders.settle_status(connection, order_id, status, now)
