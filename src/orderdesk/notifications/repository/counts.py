"""Notification orders by their stored processing status, v1 orders and those of the current API
generation alike (Processed stays Processed here, where v1 shows it as Completed): for the operator."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.core.db import Tally, tally_by
from orderdesk.notifications.models import OrderProcessingStatus
from orderdesk.notifications.tables import notification_order


async def count_orders_by_status(connection: AsyncConnection, cap: int) -> dict[str, Tally]:
    """Orders per status, every status in its order: counted up to `cap`, estimated past it."""
    return await tally_by(
        connection,
        notification_order.c.processing_status,
        [status.value for status in OrderProcessingStatus],
        cap,
    )
