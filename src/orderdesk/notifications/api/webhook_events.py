"""The webhook events of notification orders in the OpenAPI document's `webhooks` section: what
orderdesk posts to an endpoint subscribed through `POST /notifications/api/v1/webhooks`, signed by the
Standard Webhooks specification. Documentation only: these operations are the receiver's, not ours."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from orderdesk.notifications.schemas.webhooks import (
    NotificationStatusChangedEventExt,
    OrderStatusChangedEventExt,
)
from orderdesk.web.webhook_headers import WebhookId, WebhookSignature, WebhookTimestamp
from orderdesk.webhooks.models import EventType

router = APIRouter(tags=["Webhooks (notification orders)"])

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
