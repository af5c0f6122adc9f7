"""Data orders by status, for the operator's overview."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.core.db import count_by
from orderdesk.dataorders.tables import data_order


async def count_orders_by_status(connection: AsyncConnection) -> dict[str, int]:
    """Orders per status, from the index led by the status."""
    return await count_by(connection, data_order.c.status)
