"""Wire models of the webhook subscription API (camelCase on the wire)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StrictStr
from pydantic.alias_generators import to_camel

from orderdesk.core import jsonschema
from orderdesk.web.wire import http_url, storable_text
from orderdesk.webhooks.rules import MAX_DESCRIPTION_LENGTH, MAX_URL_LENGTH


class _Wire(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class SubscriptionRequest(_Wire):
    """A new subscription; each kind of owner's request names the events it may subscribe to."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    url: Annotated[
        StrictStr,
        Field(
            max_length=MAX_URL_LENGTH,
            description="Where events are posted: https, or plain http inside the operator's own networks "
            "(`ORDERDESK_OUTBOUND_ALLOWED_NETWORKS`). An address outside the public internet (loopback, "
            "private, link-local, cloud metadata) is refused unless it lies in those networks.",
            examples=["https://example.com/orderdesk/webhooks"],
            json_schema_extra={"pattern": jsonschema.HTTP_URL_PATTERN},
        ),
        http_url("The URL must be an absolute https URL."),
    ]
    events: Sequence[str]
    description: Annotated[
        StrictStr,
        Field(
            max_length=MAX_DESCRIPTION_LENGTH,
            description="Free text for the owner's own use.",
            json_schema_extra={"pattern": jsonschema.STORABLE_PATTERN},
        ),
        storable_text("The description holds characters that cannot be stored."),
    ] = ""


_EVENTS = Field(min_length=1, max_length=10, description="The event types to receive (each once).")


class NotificationSubscriptionRequest(SubscriptionRequest):
    events: Annotated[
        list[Literal["notification.status_changed", "order.status_changed"]],
        _EVENTS,
        Field(examples=[["notification.status_changed", "order.status_changed"]]),
    ]


class DataOrderSubscriptionRequest(SubscriptionRequest):
    events: Annotated[
        list[Literal["dataorder.status_changed", "dataorder.files_available"]],
        _EVENTS,
        Field(examples=[["dataorder.status_changed", "dataorder.files_available"]]),
    ]


class SubscriptionExt(_Wire):
    id: UUID
    url: str
    events: Sequence[str]
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


class DeliveryExt(_Wire):
    """One attempt to post one event to the subscription's URL."""

    attempted_at: datetime = Field(description="When the POST was made.")
    message_id: str = Field(description="The event's `webhook-id`: the same in every attempt of one event.")
    event_type: str = Field(description="The event's `type`.", examples=["notification.status_changed"])
    status_code: int | None = Field(
        description="The status the endpoint answered; null when no answer came (refused address, "
        "connection failed, timeout)."
    )
    duration_ms: int = Field(description="How long the attempt took, in milliseconds.")
    response_excerpt: str | None = Field(
        description="The start of the endpoint's answer (500 characters at most); null when it was empty."
    )
    error: str | None = Field(description="Why the attempt failed; null when it succeeded (a 2xx answer).")
    event_state: Literal["pending", "delivered", "failed"] | None = Field(
        description="The event's state now: `pending` while it is still to be posted (again), "
        "`delivered` once an attempt succeeded, `failed` once given up (retried for the whole retry "
        "window, or its subscription disabled). Null once the event itself is no longer kept."
    )


class DeliveryListExt(_Wire):
    deliveries: list[DeliveryExt] = Field(description="Attempts, newest first.")
    next: str | None = Field(
        description="The URL of the next page (older attempts, the same filters); null on the last page."
    )
