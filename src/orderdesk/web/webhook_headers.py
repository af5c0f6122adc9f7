"""The Standard Webhooks headers of what orderdesk sends to a client's endpoint (webhooks, purchase
callbacks), as header parameters of the OpenAPI `webhooks` and `callbacks` it documents them in."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header

WebhookId = Annotated[
    str,
    Header(
        description="The message's id (`msg_…`): the same on every attempt to deliver one message, so "
        "a receiver drops a repeat it has already handled.",
    ),
]
WebhookTimestamp = Annotated[
    str,
    Header(
        description="When this attempt was made, in seconds since 1970 (UTC). Refuse one far from your "
        "clock (Standard Webhooks libraries allow five minutes) so a captured request cannot be replayed.",
    ),
]
WebhookSignature = Annotated[
    str,
    Header(
        description="Space-separated `v1,<base64 HMAC-SHA256>` signatures of `<webhook-id>.<webhook-"
        "timestamp>.<payload>` with the `whsec_` secret (base64 after the prefix) shown when it was "
        "made; two while a secret is being rotated. Verify with any Standard Webhooks library.",
    ),
]
