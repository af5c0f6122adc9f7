"""The webhook events of notification orders, `notification.status_changed` and
`order.status_changed`, written into the webhooks outbox inside the transaction that makes the change:
an event exists exactly when its change committed.

Callers hand over the changes of a whole batch, in the order they were made. When none of the
creators concerned has an active subscription (nearly always), that costs one indexed read of the
subscriptions and nothing more; otherwise the payloads of the batch are built with a few set-based
reads, never a statement per change."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Select, and_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.core.clock import wire_time
from orderdesk.notifications.models import (
    Channel,
    NotificationStatus,
    OrderProcessingStatus,
    lifecycle_status,
)
from orderdesk.notifications.tables import notification_email, notification_order, notification_sms
from orderdesk.webhooks.models import EventType, OwnedEvent, Owner, OwnerKind
from orderdesk.webhooks.repository import outbox

TYPES = (EventType.NOTIFICATION_STATUS_CHANGED, EventType.ORDER_STATUS_CHANGED)
"""The events of this family: a creator subscribed to neither costs nothing past the first read."""

_order = notification_order.c
_ADDRESS = {
    Channel.EMAIL: (notification_email, notification_email.c.to_address),
    Channel.SMS: (notification_sms, notification_sms.c.mobile_number),
}


@dataclass(frozen=True, slots=True)
class NotificationStatusChange:
    notification_id: UUID
    order_id: UUID
    channel: Channel
    old: NotificationStatus | None
    """None: the notification was created in `new` (a recipient reserved or not identified)."""
    new: NotificationStatus


@dataclass(frozen=True, slots=True)
class OrderStatusChange:
    order_id: UUID
    old: OrderProcessingStatus
    new: OrderProcessingStatus


StatusChange = NotificationStatusChange | OrderStatusChange


@dataclass(frozen=True, slots=True)
class _OrderInfo:
    creator: str
    chain_id: UUID | None
    order_type: str
    senders_reference: str | None


async def record_status_changes(
    connection: AsyncConnection,
    changes: Sequence[StatusChange],
    *,
    now: datetime,
    creators: Collection[str] | None = None,
    addresses: Mapping[UUID, str | None] | None = None,
) -> int:
    """Queue the event of each change (in the order given) for every subscription of its order's
    creator to its type; returns how many outbox rows were written.

    `creators`: the creators of the orders concerned, when the caller has them (else they are read
    within the subscription check). `addresses`: the recipients of the notifications, when the caller
    has them (else read, only when somebody subscribed)."""
    if not changes:
        return 0
    order_ids = sorted({change.order_id for change in changes})
    owners: Collection[str] | Select[Any] = (
        creators if creators is not None else select(_order.creator).where(_order.id.in_(order_ids))
    )
    found = await outbox.subscribers(connection, OwnerKind.ORGANISATION, owners, TYPES)
    if not found:
        return 0
    wanted = {
        event_type for subscriptions in found.values() for _id, types in subscriptions for event_type in types
    }
    orders = await _orders(connection, order_ids, sorted(found))
    notifications_wanted = EventType.NOTIFICATION_STATUS_CHANGED.value in wanted
    recipients = dict(addresses or {})
    if notifications_wanted:
        recipients.update(await _recipients(connection, changes, orders, known=recipients))
    changed_at = wire_time(now)
    events: list[OwnedEvent] = []
    for change in changes:
        info = orders.get(change.order_id)
        if info is None:
            continue
        owner = Owner(OwnerKind.ORGANISATION, info.creator)
        if isinstance(change, NotificationStatusChange):
            if notifications_wanted:
                data = _notification_data(change, info, recipients.get(change.notification_id), changed_at)
                events.append(OwnedEvent(owner, EventType.NOTIFICATION_STATUS_CHANGED, data, now))
        elif EventType.ORDER_STATUS_CHANGED.value in wanted:
            data = _order_data(change, info, changed_at)
            events.append(OwnedEvent(owner, EventType.ORDER_STATUS_CHANGED, data, now))
    return await outbox.record_events(connection, OwnerKind.ORGANISATION, events, known_subscribers=found)


async def _orders(
    connection: AsyncConnection, order_ids: list[UUID], owners: list[str]
) -> dict[UUID, _OrderInfo]:
    """What the payloads say of each order, for the orders of subscribed creators only."""
    result = await connection.execute(
        select(_order.id, _order.creator, _order.chain_id, _order.order_type, _order.senders_reference).where(
            and_(_order.id.in_(order_ids), _order.creator.in_(owners))
        )
    )
    return {
        row.id: _OrderInfo(row.creator, row.chain_id, row.order_type, row.senders_reference) for row in result
    }


async def _recipients(
    connection: AsyncConnection,
    changes: Sequence[StatusChange],
    orders: Mapping[UUID, _OrderInfo],
    *,
    known: Mapping[UUID, str | None],
) -> dict[UUID, str | None]:
    """The address of each notification of a subscribed creator not in `known`: one read per channel."""
    missing: dict[Channel, set[UUID]] = {}
    for change in changes:
        if (
            isinstance(change, NotificationStatusChange)
            and change.order_id in orders
            and change.notification_id not in known
        ):
            missing.setdefault(change.channel, set()).add(change.notification_id)
    found: dict[UUID, str | None] = {}
    for channel, ids in missing.items():
        table, address = _ADDRESS[channel]
        result = await connection.execute(select(table.c.id, address).where(table.c.id.in_(sorted(ids))))
        found.update({row[0]: row[1] for row in result})
    return found


def _notification_data(
    change: NotificationStatusChange, info: _OrderInfo, recipient: str | None, changed_at: str
) -> dict[str, Any]:
    return {
        "notificationId": str(change.notification_id),
        "orderId": str(info.chain_id or change.order_id),
        "shipmentId": str(change.order_id),
        "sendersReference": info.senders_reference,
        "channel": change.channel.value,
        "recipient": recipient,
        "oldStatus": None if change.old is None else lifecycle_status(change.old),
        "newStatus": lifecycle_status(change.new),
        "changedAt": changed_at,
    }


def _order_data(change: OrderStatusChange, info: _OrderInfo, changed_at: str) -> dict[str, Any]:
    return {
        "orderId": str(info.chain_id or change.order_id),
        "shipmentId": str(change.order_id),
        "orderType": info.order_type,
        "sendersReference": info.senders_reference,
        "oldStatus": lifecycle_status(change.old),
        "newStatus": lifecycle_status(change.new),
        "changedAt": changed_at,
    }
