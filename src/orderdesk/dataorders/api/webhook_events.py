"""The webhook events of data orders in the OpenAPI document's `webhooks` section: what orderdesk
POSTs to a data user's subscribed endpoint, and its signature headers. Documentation only: app.py
includes this router into `app.webhooks`, where nothing is served."""

from __future__ import annotations

from fastapi import APIRouter

from orderdesk.dataorders.schemas import DataOrderFilesAvailableEvent, DataOrderStatusChangedEvent
from orderdesk.web.webhook_headers import WebhookId, WebhookSignature, WebhookTimestamp

router = APIRouter(tags=["Webhooks (data orders)"])

_DELIVERY = """Sent to each endpoint the order's owner subscribed to this event with
`POST /api/v1/rs-order/user/webhooks`, once the change has committed (never for one that rolled back),
in the order the changes happened; answer 2xx, or it is retried with growing delays for about three
days. Signed by the [Standard Webhooks](https://www.standardwebhooks.com/) specification: verify the
raw body with the subscription's `whsec_` secret and the three headers, e.g.
`standardwebhooks.Webhook(secret).verify(body, headers)`; `webhook-id` stays the same on a retry."""


@router.post(
    "dataorder.status_changed",
    summary="A data order's status changed",
    description=f"""Every change of an order's status after it was placed: PENDING to RUNNING when
its first sub-order is staged, to DONE, DONE_WITH_WARNING or FAILED once its files are settled (and back
when a download error or a later good download changes that), PAUSED, RUNNING again on resume or retry,
DELETED, EXPIRED. Statuses as the order's `status` shows them. {_DELIVERY}""",
    responses={200: {"description": "Any 2xx: delivered."}},
)
def dataorder_status_changed(
    event: DataOrderStatusChangedEvent,
    webhook_id: WebhookId,
    webhook_timestamp: WebhookTimestamp,
    webhook_signature: WebhookSignature,
) -> None:
    """Documented, never served."""


@router.post(
    "dataorder.files_available",
    summary="Files of a data order are ready to download",
    description=f"""Staging finished a sub-order and made files of it available: `filesAvailableUrl`
lists the order's available files, with their download links. {_DELIVERY}""",
    responses={200: {"description": "Any 2xx: delivered."}},
)
def dataorder_files_available(
    event: DataOrderFilesAvailableEvent,
    webhook_id: WebhookId,
    webhook_timestamp: WebhookTimestamp,
    webhook_signature: WebhookSignature,
) -> None:
    """Documented, never served."""
