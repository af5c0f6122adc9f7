"""Data orders by status, for the operator's overview."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.core.db import Tally, tally_by
from orderdesk.dataorders.models import OrderStatus
from orderdesk.dataorders.tables import data_order


async def count_orders_by_status(connection: AsyncConnection, cap: int) -> dict[str, Tally]:
    """Orders per status, every status in its order: counted up to `cap`, estimated past it."""
    return await tally_by(connection, data_order.c.status, [status.value for status in OrderStatus], cap)
