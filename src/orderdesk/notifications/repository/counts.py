"""Notification orders by their stored processing status, v1 orders and those of the current API
generation alike (Processed stays Processed here, where v1 shows it as Completed): for the operator."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.core.db import count_by
from orderdesk.notifications.tables import notification_order


async def count_orders_by_status(connection: AsyncConnection) -> dict[str, int]:
    """Orders per status, from the index led by the status."""
    return await count_by(connection, notification_order.c.processing_status)
