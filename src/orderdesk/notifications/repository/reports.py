"""Finding the notification a delivery report is about."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.notifications.models import Channel, DeliveryReport
from orderdesk.notifications.repository.transitions import TABLES


async def resolve_ids(
    connection: AsyncConnection, channel: Channel, reports: Sequence[DeliveryReport]
) -> list[UUID | None]:
    """Our notification id for each report: given, or found by the provider's reference."""
    references = sorted({r.reference for r in reports if r.notification_id is None and r.reference})
    found: dict[str, UUID] = {}
    if references:
        table = TABLES[channel]
        rows = await connection.execute(
            select(table.c.provider_reference, table.c.id).where(table.c.provider_reference.in_(references))
        )
        found = {row.provider_reference: row.id for row in rows}
    return [
        report.notification_id or (found.get(report.reference) if report.reference else None)
        for report in reports
    ]
