"""Purchase orders by status, for the operator's overview."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.core.db import Tally, tally_by
from orderdesk.purchases.models import OrderStatus
from orderdesk.purchases.tables import purchase_order


async def count_orders_by_status(connection: AsyncConnection, cap: int) -> dict[str, Tally]:
    """Orders per status, every status in its order: counted up to `cap`, estimated past it."""
    return await tally_by(connection, purchase_order.c.status, [status.value for status in OrderStatus], cap)
