"""Use cases of tracking: one shipment (an order of any type with its notifications), the status feed
of a creator's final shipments, the feed's retention, and the support look-up of every notification
to one person or organisation, and the log of the notifications sent for a Dialogporten dialog."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.notifications.errors import ShipmentNotFound
from orderdesk.notifications.models import Creator
from orderdesk.notifications.repository import shipments, status_feed
from orderdesk.notifications.rules.shipments import (
    DialogNotification,
    FeedEntry,
    RecipientNotification,
    Shipment,
)

FEED_PAGE_SIZE = 500
"""The default and the largest page of the status feed; a larger or smaller one asked is clamped."""
FEED_LAG = timedelta(seconds=2)
"""Entries this young are not shown yet: an entry whose transaction started earlier may still commit
with a lower sequence number, which a reader past it would never see."""
SUPPORT_LOOKUP_LIMIT = 1000
"""The most notifications one support look-up answers (the newest); narrow the window for older ones."""
SUPPORT_LOOKUP_WINDOW = timedelta(days=30)
"""The window of a support look-up when `from` is not given: the 30 days before `to`."""


STATUS_FEED_RETENTION_BATCH = status_feed.RETENTION_BATCH


class FeedOrder(StrEnum):
    ASC = "asc"
    DESC = "desc"


async def get_shipment(connection: AsyncConnection, creator: Creator, shipment_id: str) -> Shipment:
    """The creator's order of any type with its notifications. ShipmentNotFound when the id is not a
    UUID, names no order, or names another creator's."""
    try:
        order_id = UUID(shipment_id)
    except ValueError:
        raise ShipmentNotFound() from None
    shipment = await shipments.get_shipment(connection, order_id, creator)
    if shipment is None:
        raise ShipmentNotFound()
    return shipment


def clamp_page_size(page_size: int) -> int:
    return max(1, min(page_size, FEED_PAGE_SIZE))


async def read_feed(
    connection: AsyncConnection,
    creator: Creator,
    *,
    seq: int,
    page_size: int,
    order: FeedOrder,
    now: datetime,
) -> list[FeedEntry]:
    """One page of the creator's status feed after the cursor `seq` (asc), or before it (desc; 0: from
    the newest). Entries younger than FEED_LAG are left for a later read."""
    return await status_feed.list_feed_entries(
        connection,
        creator,
        seq=seq,
        page_size=clamp_page_size(page_size),
        descending=order is FeedOrder.DESC,
        visible_until=now - FEED_LAG,
    )


async def prune_status_feed(connection: AsyncConnection, *, now: datetime, retention: timedelta) -> int:
    """Delete a batch of status feed entries older than `retention`; a full batch means more remain."""
    return await status_feed.delete_entries_before(connection, now - retention)


@dataclass(frozen=True, slots=True)
class LookupWindow:
    start: datetime
    end: datetime


def lookup_window(start: datetime | None, end: datetime | None, now: datetime) -> LookupWindow:
    """`to` defaults to now, `from` to SUPPORT_LOOKUP_WINDOW before `to`."""
    end = end if end is not None else now
    return LookupWindow(start if start is not None else end - SUPPORT_LOOKUP_WINDOW, end)


async def find_recipient_notifications(
    connection: AsyncConnection,
    window: LookupWindow,
    *,
    national_identity_number: str | None = None,
    organization_number: str | None = None,
) -> list[RecipientNotification]:
    """Every creator's notifications to the person or the organisation whose order was to be sent in
    the window, newest first, at most SUPPORT_LOOKUP_LIMIT. A window that ends before it starts holds
    none."""
    if window.end <= window.start:
        return []
    return await shipments.list_recipient_notifications(
        connection,
        national_identity_number=national_identity_number,
        organization_number=organization_number,
        start=window.start,
        end=window.end,
        limit=SUPPORT_LOOKUP_LIMIT,
    )


DIALOG_LOG_LIMIT = 1000
"""The most notifications the dialog log answers with: a dialog's notifications are a handful."""


async def find_dialog_notifications(
    connection: AsyncConnection, creator: Creator, *, dialog_id: str, transmission_id: str | None
) -> list[DialogNotification]:
    """The creator's notifications for the dialog (and the transmission, if given), oldest first."""
    return await shipments.list_dialog_notifications(
        connection, creator, dialog_id=dialog_id, transmission_id=transmission_id, limit=DIALOG_LOG_LIMIT
    )
