"""Wire models of the webhook events of notification orders, as orderdesk posts them to a subscribed
endpoint (the Standard Webhooks payload: `type`, `timestamp`, `data`). They document the payloads in
the OpenAPI document's `webhooks` section; repository.webhook_events writes the same fields."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import Field

from orderdesk.notifications.models import OrderType
from orderdesk.notifications.schemas.fields import WireModel
from orderdesk.notifications.schemas.shipments import NOTIFICATION_LIFECYCLE, ORDER_LIFECYCLE

_ORDER_ID = (
    "The order as its creator knows it: the `notificationOrderId` an order chain, an instant order or a "
    "composed e-mail was registered with; for a v1 order, its own id (the same as `shipmentId`)."
)
_SHIPMENT_ID = "The order itself (a main notification, a reminder, an instant or a composed order)."
_CHANGED_AT = "When the status changed (UTC)."
_TIMESTAMP = "When the event happened (UTC): the same as `data.changedAt`."


class NotificationStatusChangedDataExt(WireModel):
    """One notification (an e-mail or an SMS) changed status."""

    notification_id: UUID = Field(description="The notification.")
    order_id: UUID = Field(description=_ORDER_ID)
    shipment_id: UUID = Field(description=_SHIPMENT_ID)
    senders_reference: str | None = Field(description="The order's sender's reference, if it has one.")
    channel: Literal["email", "sms"] = Field(description="`email` or `sms`.")
    recipient: str | None = Field(
        description="The e-mail address or mobile number; null when none was found for the recipient."
    )
    old_status: str | None = Field(
        description=(
            "The status before the change; null for a notification created in its final status (a "
            "recipient reserved against digital communication, or not found). A notification created "
            "`New` gets no event for its creation; an instant order's starts as `…_Sending`."
        ),
        json_schema_extra={"enum": [*NOTIFICATION_LIFECYCLE, None]},
    )
    new_status: str = Field(
        description="The status now (`Email_…`, `SMS_…`).", json_schema_extra={"enum": NOTIFICATION_LIFECYCLE}
    )
    changed_at: datetime = Field(description=_CHANGED_AT)


class NotificationStatusChangedEventExt(WireModel):
    """`notification.status_changed`: posted for every status change of a notification, in the order
    of its changes (`New` → `Sending` → `Succeeded` → `Delivered`, a retry back to `New`, expiry to
    `Failed_TTL` …)."""

    type: Literal["notification.status_changed"]
    timestamp: datetime = Field(description=_TIMESTAMP)
    data: NotificationStatusChangedDataExt


class OrderStatusChangedDataExt(WireModel):
    """One order changed status."""

    order_id: UUID = Field(description=_ORDER_ID)
    shipment_id: UUID = Field(description=_SHIPMENT_ID)
    order_type: OrderType = Field(
        description="The kind of order: Notification, Reminder, Instant or Composed."
    )
    senders_reference: str | None = Field(description="The order's sender's reference, if it has one.")
    old_status: str = Field(
        description="The status before the change (`Order_…`).", json_schema_extra={"enum": ORDER_LIFECYCLE}
    )
    new_status: str = Field(
        description="The status now (`Order_…`).", json_schema_extra={"enum": ORDER_LIFECYCLE}
    )
    changed_at: datetime = Field(description=_CHANGED_AT)


class OrderStatusChangedEventExt(WireModel):
    """`order.status_changed`: posted for every status change of an order of any generation (v1, a
    chain's main order and reminders, instant and composed orders), once per change:
    `Registered` → `Processing` → `Processed` → `Completed` (`Processing` → `Completed` when every
    notification was created final), `SendConditionNotMet`, `Cancelled`, and `Processing` →
    `Registered` when processing is postponed or retried. Registration itself posts nothing; an
    instant order is registered `Processed`."""

    type: Literal["order.status_changed"]
    timestamp: datetime = Field(description=_TIMESTAMP)
    data: OrderStatusChangedDataExt
