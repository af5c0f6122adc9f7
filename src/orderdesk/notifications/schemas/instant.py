"""Wire models of instant orders (`/future/orders/instant…`): one SMS or one e-mail to one address,
handed to the provider before the answer, under an idempotency id of the instant namespace.

The deprecated `POST /future/orders/instant` keeps the shape the original service first had: the SMS
recipient nested one level deeper, under `recipient.recipientSms`. The newer `/instant/sms` takes it
at the top (`recipientSms`); both carry the same fields."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from pydantic import BeforeValidator, ConfigDict, Field, StrictInt

from orderdesk.notifications.schemas.fields import (
    MobileNumber,
    NonBlank,
    Reference,
    RequestModel,
    SmsSender,
    WireModel,
)
from orderdesk.notifications.schemas.future import IdempotencyId, RecipientEmailExt

MIN_TIME_TO_LIVE_SECONDS = 60
MAX_TIME_TO_LIVE_SECONDS = 172_800
"""48 hours: the longest an instant SMS may wait at the gateway before it counts as undelivered."""

_PHONE = "+4799999999"


def _integral(value: Any) -> Any:
    """300.0 is the integer 300 in JSON and in JSON Schema; 300.5, strings and booleans stay refused."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


TimeToLive = Annotated[
    StrictInt,
    Field(ge=MIN_TIME_TO_LIVE_SECONDS, le=MAX_TIME_TO_LIVE_SECONDS),
    BeforeValidator(_integral),
]


class InstantSmsSettingsExt(RequestModel):
    """What the SMS says and who it is from. An instant SMS goes out at any time of day."""

    sender: SmsSender = Field(
        default=None, description="Sender name or number; the configured default when left out."
    )
    body: NonBlank = Field(
        description="The text. Longer texts are sent in parts (160 characters, or 134 per part when "
        "split), at most 16."
    )


class RecipientInstantSmsExt(RequestModel):
    phone_number: MobileNumber
    time_to_live_in_seconds: TimeToLive = Field(
        description="How long the SMS may take to be delivered, in seconds (60 to 172800): without a "
        "delivery report by then it fails as `Failed_TTL`.",
    )
    sms_settings: InstantSmsSettingsExt


class InstantSmsNotificationOrderRequestExt(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "idempotencyId": "login-7f3a91",
                    "sendersReference": "login-7f3a91",
                    "recipientSms": {
                        "phoneNumber": _PHONE,
                        "timeToLiveInSeconds": 300,
                        "smsSettings": {"sender": "Orderdesk", "body": "Your one-time code is 482913."},
                    },
                }
            ]
        }
    )

    idempotency_id: IdempotencyId
    senders_reference: Reference | None = None
    recipient_sms: RecipientInstantSmsExt


class InstantEmailNotificationOrderRequestExt(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "idempotencyId": "reset-52c1d0",
                    "recipientEmail": {
                        "emailAddress": "recipient@domain.com",
                        "emailSettings": {
                            "subject": "Reset your password",
                            "body": "Follow the link within ten minutes.",
                            "contentType": "Plain",
                        },
                    },
                }
            ]
        }
    )

    idempotency_id: IdempotencyId
    senders_reference: Reference | None = None
    recipient_email: RecipientEmailExt


class InstantNotificationRecipientExt(RequestModel):
    recipient_sms: RecipientInstantSmsExt


class InstantNotificationOrderRequestExt(RequestModel):
    """The deprecated shape: an SMS recipient under `recipient.recipientSms`."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "idempotencyId": "login-7f3a91",
                    "recipient": {
                        "recipientSms": {
                            "phoneNumber": _PHONE,
                            "timeToLiveInSeconds": 300,
                            "smsSettings": {"body": "Your one-time code is 482913."},
                        }
                    },
                }
            ]
        }
    )

    idempotency_id: IdempotencyId
    senders_reference: Reference | None = None
    recipient: InstantNotificationRecipientExt


class InstantNotificationShipmentExt(WireModel):
    shipment_id: UUID = Field(description="The id of the order; its shipment is at `/future/shipment/{id}`.")
    senders_reference: str | None = None


class InstantNotificationOrderResponseExt(WireModel):
    notification_order_id: UUID = Field(description="The id of the order chain the instant order makes.")
    notification: InstantNotificationShipmentExt
