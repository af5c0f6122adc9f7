"""Use cases of the people who run orderdesk (the operator console): every creator's orders, one order
of any creator with its notifications, and every notification to one addressee. Cancelling goes through
`orders.cancel_order`, with the order's own creator, as the API's cancel does."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.notifications.errors import OrderNotFound
from orderdesk.notifications.repository import browse, shipments
from orderdesk.notifications.repository.browse import (
    ListedOrder,
    NotificationKey,
    OrderDetail,
    OrderFilter,
    OrderKey,
    OrderNotification,
)
from orderdesk.notifications.repository.shipments import FoundKey
from orderdesk.notifications.rules.lookup import Addressee
from orderdesk.notifications.rules.shipments import RecipientNotification


async def list_orders(
    connection: AsyncConnection, where: OrderFilter, *, after: OrderKey | None, limit: int
) -> list[ListedOrder]:
    """Every creator's orders matching `where`, newest first: the first `limit` after `after`."""
    return await browse.list_orders(connection, where, after=after, limit=limit)


async def get_order(connection: AsyncConnection, order_id: UUID) -> OrderDetail:
    """The order, whoever created it; OrderNotFound when there is none."""
    detail = await browse.get_order_detail(connection, order_id)
    if detail is None:
        raise OrderNotFound()
    return detail


async def list_order_notifications(
    connection: AsyncConnection, order_id: UUID, *, after: NotificationKey | None, limit: int
) -> list[OrderNotification]:
    """The order's notifications, e-mails then SMS, each by id: the first `limit` after `after`."""
    return await browse.list_order_notifications(connection, order_id, after=after, limit=limit)


async def find_notifications_to(
    connection: AsyncConnection, addressee: Addressee, *, after: FoundKey | None, limit: int
) -> list[RecipientNotification]:
    """Every creator's notifications to the addressee, newest send time first: the first `limit`
    after `after`."""
    return await shipments.page_recipient_notifications(connection, addressee, after=after, limit=limit)
