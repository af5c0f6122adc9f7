"""The status feed entry of a final shipment: wire names, lifecycle statuses, UTC times with `Z`."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

from orderdesk.core.clock import wire_time
from orderdesk.notifications.models import (
    Channel,
    Creator,
    EmailStatus,
    OrderId,
    OrderProcessingStatus,
    OrderType,
    SmsStatus,
)
from orderdesk.notifications.rules.shipments import (
    Shipment,
    ShipmentRecipient,
    feed_entry,
    last_update,
)

MOMENT = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def test_wire_time__any_zone__written_in_utc_with_z() -> None:
    oslo = MOMENT.astimezone(timezone(timedelta(hours=1)))
    assert wire_time(oslo) == "2026-11-24T10:00:00Z"
    assert wire_time(MOMENT + timedelta(microseconds=5)) == "2026-11-24T10:00:00.000005Z"


def test_last_update__the_later_of_creation_and_status_change() -> None:
    assert last_update(MOMENT, MOMENT - timedelta(seconds=1)) == MOMENT
    assert last_update(MOMENT, MOMENT + timedelta(seconds=1)) == MOMENT + timedelta(seconds=1)


def test_feed_entry__lifecycle_names_and_recipient_types() -> None:
    order_id = OrderId(uuid.uuid4())
    shipment = Shipment(
        id=order_id,
        creator=Creator("ttd"),
        senders_reference=None,
        order_type=OrderType.REMINDER,
        status=OrderProcessingStatus.COMPLETED,
        last_update=MOMENT,
        recipients=[
            ShipmentRecipient(
                Channel.EMAIL, "a@example.com", EmailStatus.FAILED_INVALID_EMAIL_FORMAT, MOMENT
            ),
            ShipmentRecipient(Channel.SMS, None, SmsStatus.FAILED_RECIPIENT_NOT_IDENTIFIED, MOMENT),
        ],
    )

    assert feed_entry(shipment) == {
        "shipmentId": str(order_id),
        "sendersReference": None,
        "recipients": [
            {
                "type": "Email",
                "destination": "a@example.com",
                "status": "Email_Failed_InvalidFormat",
                "lastUpdate": "2026-11-24T10:00:00Z",
            },
            {
                "type": "SMS",
                "destination": None,
                "status": "SMS_Failed_RecipientNotIdentified",
                "lastUpdate": "2026-11-24T10:00:00Z",
            },
        ],
        "status": "Order_Completed",
        "lastUpdate": "2026-11-24T10:00:00Z",
        "shipmentType": "Reminder",
    }
