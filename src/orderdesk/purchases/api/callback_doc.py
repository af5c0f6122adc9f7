"""The OpenAPI description of the fulfilment callback: the GET orderdesk makes of a `callbackUrl`,
with its query parameters and signature headers. Documentation only: nothing here is served."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from orderdesk.web.webhook_headers import WebhookId, WebhookSignature, WebhookTimestamp

_callbacks = APIRouter()


@_callbacks.get(
    "{$request.body#/callbackUrl}",
    summary="Fulfilment callback (made by orderdesk)",
    description="""Made once the order is `processed` (`fulfillmentStatus=success`) or `failed`, after
the URL's own query (kept as it was); retried with back-off until it answers 2xx. Signed by the
[Standard Webhooks](https://www.standardwebhooks.com/) specification with the client's
`callback_signing_secret`: a GET has no body, so **the signed payload is the request's raw query string
exactly as sent** (what follows `?` on the request line, not decoded, the URL's own parameters
included). `webhook-id` is `msg_purchase_order_<orderId>`, the same on every call of the order's
callback.""",
    responses={200: {"description": "Any 2xx: the callback is delivered and not made again."}},
)
def fulfilment_callback(
    fulfillment_status: Annotated[Literal["success", "failed"], Query(alias="fulfillmentStatus")],
    order_id: Annotated[int, Query(alias="orderId")],
    webhook_id: WebhookId,
    webhook_timestamp: WebhookTimestamp,
    webhook_signature: WebhookSignature,
) -> None:
    """Documented, never served."""


FULFILMENT_CALLBACK = _callbacks.routes
