"""Purchase orders by status, for the operator's overview."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.core.db import count_by
from orderdesk.purchases.tables import purchase_order


async def count_orders_by_status(connection: AsyncConnection) -> dict[str, int]:
    """Orders per status, from the index led by the status."""
    return await count_by(connection, purchase_order.c.status)
