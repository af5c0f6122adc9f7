"""Wire models of tracking in the current API generation: a shipment's delivery manifest, the status
feed's entries and the support look-up's notifications. Statuses carry their lifecycle names
(`Order_Completed`, `Email_Delivered`, `SMS_Accepted` …)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from pydantic import AfterValidator, BeforeValidator, Field, JsonValue
from pydantic_core import PydanticCustomError

from orderdesk.notifications.models import (
    EmailStatus,
    OrderProcessingStatus,
    OrderType,
    SmsStatus,
    lifecycle_status,
)
from orderdesk.notifications.rules.shipments import RecipientType
from orderdesk.notifications.schemas.fields import WireModel, iso_date_time

ORDER_LIFECYCLE: list[JsonValue] = [lifecycle_status(status) for status in OrderProcessingStatus]
NOTIFICATION_LIFECYCLE: list[JsonValue] = [lifecycle_status(status) for status in (*EmailStatus, *SmsStatus)]


class DeliveryRecipientExt(WireModel):
    """One notification of a shipment."""

    type: RecipientType = Field(description="The channel: `Email` or `SMS`.")
    destination: str | None = Field(
        default=None,
        description="The e-mail address or mobile number; absent when none was found for the recipient.",
    )
    status: str = Field(
        description="The notification's status (`Email_…`, `SMS_…`).",
        json_schema_extra={"enum": NOTIFICATION_LIFECYCLE},
    )
    last_update: datetime = Field(description="When the notification's status last changed.")


class NotificationDeliveryManifestExt(WireModel):
    """One order (a main notification, a reminder, an instant or a composed order) with its
    notifications. `recipients` is empty until the order has been processed."""

    shipment_id: UUID
    senders_reference: str | None = None
    type: OrderType = Field(description="The kind of order: Notification, Reminder, Instant or Composed.")
    status: str = Field(
        description="The order's status (`Order_…`).", json_schema_extra={"enum": ORDER_LIFECYCLE}
    )
    last_update: datetime = Field(description="The later of the order's creation and its last status change.")
    recipients: list[DeliveryRecipientExt]


class StatusFeedExt(WireModel):
    """A shipment as it was when it became final (Completed or SendConditionNotMet)."""

    sequence_number: int = Field(
        description="The entry's place in the feed: the cursor `seq` of the next read."
    )
    shipment_id: UUID
    senders_reference: str | None = None
    recipients: list[DeliveryRecipientExt]
    status: str = Field(
        description="The order's final status: `Order_Completed` or `Order_SendConditionNotMet`.",
        json_schema_extra={"enum": ORDER_LIFECYCLE},
    )
    last_update: datetime
    shipment_type: OrderType


class RecipientNotificationExt(WireModel):
    """One notification to the person or organisation looked up, with its order."""

    notification_id: UUID
    order_id: UUID = Field(
        description="The order the caller placed: the chain of an order of the current generation, "
        "the order itself for a v1 order."
    )
    shipment_id: UUID = Field(description="The order this notification was generated from.")
    shipment_type: OrderType
    creator: str = Field(description="The organisation that placed the order.")
    senders_reference: str | None = None
    channel: RecipientType
    destination: str | None = Field(default=None, description="The e-mail address or mobile number.")
    status: str = Field(
        description="The notification's status (`Email_…`, `SMS_…`).",
        json_schema_extra={"enum": NOTIFICATION_LIFECYCLE},
    )
    requested_send_time: datetime = Field(description="When the order was to be sent.")
    created: datetime = Field(description="When the order was placed.")
    last_update: datetime = Field(description="When the notification's status last changed.")


def zoned_time(value: datetime | None) -> datetime | None:
    """A moment of a query: it must name its zone, and be one that UTC can express."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise PydanticCustomError("time_zone_missing", "The time must have a time zone (e.g. `Z`).")
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise PydanticCustomError("datetime_out_of_range", "The time is out of range in UTC.") from None


ZonedTime = Annotated[datetime | None, BeforeValidator(iso_date_time), AfterValidator(zoned_time)]
"""An ISO 8601 date and time with its zone, as a query parameter."""


class NotificationLogEntryExt(WireModel):
    """One notification of an order chain associated with the dialog or transmission asked about."""

    order_chain_id: UUID = Field(description="The chain (`notificationOrderId` of its receipt).")
    shipment_id: UUID = Field(description="The order the notification was generated from.")
    notification_id: UUID
    senders_reference: str | None = None
    dialog_id: str | None = None
    transmission_id: str | None = None
    shipment_type: OrderType
    channel: RecipientType
    destination: str | None = Field(default=None, description="The e-mail address or mobile number.")
    resource: str | None = Field(default=None, description="The order's `resourceId`, if it named one.")
    status: str = Field(
        description="The notification's status (`Email_…`, `SMS_…`).",
        json_schema_extra={"enum": NOTIFICATION_LIFECYCLE},
    )
    requested_send_time: datetime = Field(description="When the order was to be sent.")
    last_update: datetime = Field(description="When the notification's status last changed.")
