"""Shipments as the current API generation shows them: one order with its notifications, each under its
lifecycle name, and the status feed entry that keeps an order's shipment as it was when it became final.

The types live here rather than in `models`, beside the one rule that builds a feed entry from them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from orderdesk.core.clock import wire_time
from orderdesk.notifications.models import (
    Channel,
    Creator,
    NotificationStatus,
    OrderId,
    OrderProcessingStatus,
    OrderType,
    lifecycle_status,
)

FINAL_ORDER_STATUSES = (OrderProcessingStatus.COMPLETED, OrderProcessingStatus.SEND_CONDITION_NOT_MET)
"""The statuses that give an order its status feed entry. Cancelled is final too, but the original
service writes no entry for it: nothing was sent."""

RecipientType = Literal["Email", "SMS"]
RECIPIENT_TYPES: dict[Channel, RecipientType] = {Channel.EMAIL: "Email", Channel.SMS: "SMS"}


@dataclass(frozen=True, slots=True)
class ShipmentRecipient:
    """One notification of a shipment: where it went and how it stands."""

    channel: Channel
    destination: str | None
    status: NotificationStatus
    last_update: datetime


@dataclass(frozen=True, slots=True)
class Shipment:
    """One order of any type; `recipients` is empty until the order has been processed."""

    id: OrderId
    creator: Creator
    senders_reference: str | None
    order_type: OrderType
    status: OrderProcessingStatus
    last_update: datetime
    recipients: list[ShipmentRecipient]


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """A stored status feed entry: its cursor and the shipment as written (wire names, see `feed_entry`)."""

    sequence_number: int
    entry: dict[str, Any]


@dataclass(frozen=True, slots=True)
class RecipientNotification:
    """One notification found by the support look-up, with the order it belongs to."""

    notification_id: UUID
    order_id: UUID
    shipment_id: OrderId
    creator: Creator
    senders_reference: str | None
    order_type: OrderType
    channel: Channel
    destination: str | None
    status: NotificationStatus
    requested_send_time: datetime
    created: datetime
    last_update: datetime


def last_update(created: datetime, status_changed: datetime) -> datetime:
    """An order's last update: the later of its creation and its last status change."""
    return max(created, status_changed)


def feed_entry(shipment: Shipment) -> dict[str, Any]:
    """The JSON a status feed entry keeps of a final shipment, in the names the feed answers with
    (`sequenceNumber` is added on reading: it is the row's)."""
    return {
        "shipmentId": str(shipment.id),
        "sendersReference": shipment.senders_reference,
        "recipients": [
            {
                "type": RECIPIENT_TYPES[recipient.channel],
                "destination": recipient.destination,
                "status": lifecycle_status(recipient.status),
                "lastUpdate": wire_time(recipient.last_update),
            }
            for recipient in shipment.recipients
        ],
        "status": lifecycle_status(shipment.status),
        "lastUpdate": wire_time(shipment.last_update),
        "shipmentType": shipment.order_type.value,
    }


@dataclass(frozen=True, slots=True)
class DialogNotification:
    """One notification of a chain associated with a Dialogporten dialog (the notification log)."""

    chain_id: UUID
    shipment_id: OrderId
    notification_id: UUID
    senders_reference: str | None
    dialog_id: str | None
    transmission_id: str | None
    order_type: OrderType
    channel: Channel
    destination: str | None
    resource_id: str | None
    status: NotificationStatus
    requested_send_time: datetime
    last_update: datetime
