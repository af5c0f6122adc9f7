"""The webhook events of data orders, written to the webhooks outbox in the transaction that makes
the change (so an event exists exactly when its change committed): `dataorder.status_changed` for
every change of an order's status after it was placed, and `dataorder.files_available` when staging
has made files of a sub-order available. A use case gathers the events of its transaction and records
them once: one look-up of the owner's subscriptions, none when nothing changed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.core.clock import wire_time
from orderdesk.dataorders.models import OrderRow, OrderStatus
from orderdesk.webhooks.models import EventType, OwnedEvent, Owner, OwnerKind
from orderdesk.webhooks.repository import outbox

AVAILABLE_FILES_PATH = "/api/v1/rs-order/user/orders/{order_id}/files/available"
"""The endpoint that lists an order's available files (api.files), the link a files event carries."""


def status_changed(order: OrderRow, new_status: OrderStatus, changed_at: datetime) -> OwnedEvent:
    """`order` (as it was: its `status` is the old one) is now `new_status`."""
    return status_change(order.id, order.owner, order.label, order.status, new_status, changed_at)


def status_change(
    order_id: int,
    owner: str,
    label: str,
    old_status: OrderStatus,
    new_status: OrderStatus,
    changed_at: datetime,
) -> OwnedEvent:
    """The order `order_id` of `owner` went from `old_status` to `new_status`."""
    return OwnedEvent(
        owner=Owner(OwnerKind.DATA_USER, owner),
        type=EventType.DATAORDER_STATUS_CHANGED,
        data={
            "orderId": order_id,
            "label": label,
            "owner": owner,
            "oldStatus": old_status.value,
            "newStatus": new_status.value,
            "changedAt": wire_time(changed_at),
        },
        occurred_at=changed_at,
    )


def files_available(
    order: OrderRow, suborder_id: int, available: int, links_base_url: str, changed_at: datetime
) -> OwnedEvent:
    """Staging made files of the sub-order available: `available` of them wait to be downloaded."""
    return OwnedEvent(
        owner=Owner(OwnerKind.DATA_USER, order.owner),
        type=EventType.DATAORDER_FILES_AVAILABLE,
        data={
            "orderId": order.id,
            "label": order.label,
            "subOrderId": suborder_id,
            "filesAvailable": available,
            "filesAvailableUrl": links_base_url + AVAILABLE_FILES_PATH.format(order_id=order.id),
            "changedAt": wire_time(changed_at),
        },
        occurred_at=changed_at,
    )


async def record(connection: AsyncConnection, events: Sequence[OwnedEvent | None]) -> None:
    """Put the events (None: nothing happened) in the outbox of their owners' subscriptions, in this
    order; nothing is read or written when there is none."""
    happened = [event for event in events if event is not None]
    if happened:
        await outbox.record_events(connection, OwnerKind.DATA_USER, happened)
