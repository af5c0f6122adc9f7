"""The webhook events of notification orders in the OpenAPI document's `webhooks` section: what
orderdesk posts to an endpoint subscribed through `POST /notifications/api/v1/webhooks`, signed by the
Standard Webhooks specification. Documentation only: these operations are the receiver's, not ours."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header
from fastapi.responses import Response

from orderdesk.notifications.schemas.webhooks import (
    NotificationStatusChangedEventExt,
    OrderStatusChangedEventExt,
)
from orderdesk.webhooks.models import EventType

router = APIRouter(tags=["Notification webhook events"])

WebhookId = Annotated[
    str,
    Header(
        alias="webhook-id",
        description=(
            "The event's id (`msg_…`), the same in every attempt to deliver it: a receiver that has "
            "seen it already drops the repeat."
        ),
    ),
]
WebhookTimestamp = Annotated[
    str,
    Header(
        alias="webhook-timestamp",
        description="When this attempt was signed, in seconds since 1970: refuse one too old or too new.",
    ),
]
WebhookSignature = Annotated[
    str,
    Header(
        alias="webhook-signature",
        description=(
            "`v1,<base64 HMAC-SHA256>` of `{webhook-id}.{webhook-timestamp}.{body}` keyed with the "
            "subscription's secret (`whsec_…`); two, space-separated, for a day after the secret is "
            "rotated (old and new). Any Standard Webhooks library verifies it, e.g. "
            "`standardwebhooks.Webhook(secret).verify(body, headers)`."
        ),
    ),
]

_RESPONSES: dict[int | str, dict[str, str]] = {
    200: {
        "description": (
            "Any 2xx: delivered. 410 Gone disables the subscription at once. Anything else, or no "
            "answer within 15 seconds, is retried with growing delays for about three days. An "
            "endpoint receives its events in the order they happened."
        )
    }
}


@router.post(EventType.NOTIFICATION_STATUS_CHANGED.value, responses=_RESPONSES, response_class=Response)
async def notification_status_changed(
    event: NotificationStatusChangedEventExt,
    webhook_id: WebhookId,
    webhook_timestamp: WebhookTimestamp,
    webhook_signature: WebhookSignature,
) -> None:
    """A notification of one of your orders changed status."""


@router.post(EventType.ORDER_STATUS_CHANGED.value, responses=_RESPONSES, response_class=Response)
async def order_status_changed(
    event: OrderStatusChangedEventExt,
    webhook_id: WebhookId,
    webhook_timestamp: WebhookTimestamp,
    webhook_signature: WebhookSignature,
) -> None:
    """One of your orders changed status."""
