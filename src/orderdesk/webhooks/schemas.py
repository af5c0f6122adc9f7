"""Wire models of the webhook subscription API (camelCase on the wire)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StrictStr
from pydantic.alias_generators import to_camel

from orderdesk.web.wire import storable_text
from orderdesk.webhooks.rules import MAX_DESCRIPTION_LENGTH, MAX_URL_LENGTH


class _Wire(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class SubscriptionRequest(_Wire):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    url: Annotated[
        StrictStr,
        Field(
            max_length=MAX_URL_LENGTH,
            description="Where events are posted: https, or plain http inside the operator's own networks.",
            examples=["https://example.com/orderdesk/webhooks"],
        ),
        storable_text("The URL holds characters that cannot be stored."),
    ]
    events: Annotated[
        list[StrictStr],
        Field(
            min_length=1,
            max_length=10,
            description="The event types to receive.",
            examples=[["notification.status_changed", "order.status_changed"]],
        ),
    ]
    description: Annotated[
        StrictStr,
        Field(max_length=MAX_DESCRIPTION_LENGTH, description="Free text for the owner's own use."),
        storable_text("The description holds characters that cannot be stored."),
    ] = ""


class SubscriptionExt(_Wire):
    id: UUID
    url: str
    events: list[str]
    description: str
    status: Literal["active", "disabled"]
    disabled_reason: str | None = Field(
        default=None, description="Why nothing more is posted (410 Gone, or failing for five days)."
    )
    disabled_at: datetime | None = None
    failing_since: datetime | None = Field(
        default=None, description="Since when every attempt has failed; null while deliveries succeed."
    )
    created_at: datetime
    secret_rotated_at: datetime | None = None


class CreatedSubscriptionExt(SubscriptionExt):
    secret: str = Field(
        description="The signing secret (`whsec_…`) of the Standard Webhooks signature; shown only now."
    )


class SubscriptionListExt(_Wire):
    webhooks: list[SubscriptionExt]


class RotatedSecretExt(_Wire):
    secret: str = Field(description="The new signing secret; shown only now.")
    previous_secret_valid_until: datetime = Field(
        description="Until then every event is signed with both secrets."
    )


class TestEventExt(_Wire):
    message_id: str = Field(description="The `webhook-id` of the queued `webhook.ping` event.")
