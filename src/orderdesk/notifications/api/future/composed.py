"""`POST /future/orders/composed-email`: one e-mail with attachments fetched at its send time.

Only a bearer token with the scope `altinn:serviceowner/notifications.composedemail.create` opens it
(the create scope alone is 403; a Platform Access Token is not taken, 401), as in the original.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from orderdesk.auth.errors import Forbidden, Unauthenticated
from orderdesk.core.errors import InvalidInput
from orderdesk.notifications.api import mapping
from orderdesk.notifications.api.deps import NotificationSettingsDep, OrderDefaultsDep
from orderdesk.notifications.models import Attachment, Creator, EmailTemplate
from orderdesk.notifications.rules.attachments import AttachmentHosts
from orderdesk.notifications.schemas.composed import ComposedEmailRequestExt
from orderdesk.notifications.schemas.future import NotificationOrderChainResponseExt
from orderdesk.notifications.service import composed as service
from orderdesk.web.deps import (
    ComposedEmailOwnerDep,
    DatabaseDep,
    NowDep,
    OutboundPolicyDep,
    PublicBaseUrlDep,
)
from orderdesk.web.log_context import OrderLoggedRoute
from orderdesk.web.problems import openapi_responses
from orderdesk.web.wire import json_response

router = APIRouter(prefix=mapping.API_PREFIX, tags=["Notification orders"], route_class=OrderLoggedRoute)

_RECEIPT = "`notificationOrderId` names the order chain; `notification.shipmentId` the e-mail's shipment."
_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "model": NotificationOrderChainResponseExt,
        "description": "The idempotency id was used before: nothing new was registered, and this is "
        "the first request's answer. " + _RECEIPT,
    },
    201: {
        "model": NotificationOrderChainResponseExt,
        "description": "The e-mail was registered; `Location` points at its shipment. " + _RECEIPT,
        "headers": {
            "Location": {
                "description": "The shipment of the e-mail (`/future/shipment/{shipmentId}`).",
                "schema": {"type": "string"},
            }
        },
    },
    **openapi_responses(InvalidInput, Unauthenticated, Forbidden),
}


def shipment_url(base_url: str, shipment_id: object) -> str:
    return f"{base_url.rstrip('/')}{mapping.API_PREFIX}/future/shipment/{shipment_id}"


def _order(body: ComposedEmailRequestExt, default_sender: str) -> service.ComposedEmailOrder:
    settings = body.recipient.email_settings
    template = EmailTemplate(
        from_address=settings.sender_email_address or default_sender,
        subject=settings.subject,
        body=settings.body,
        content_type=settings.content_type,
        attachments=tuple(
            Attachment(filename=item.filename, mime_type=item.mime_type, url=item.sas_url)
            for item in settings.attachments
        ),
    )
    dialog = body.dialogporten_association
    return service.ComposedEmailOrder(
        idempotency_id=body.idempotency_id,
        email_address=body.recipient.email_address,
        template=template,
        senders_reference=body.senders_reference,
        requested_send_time=body.requested_send_time,
        condition_endpoint=body.condition_endpoint,
        dialog_id=dialog.dialog_id if dialog else None,
        transmission_id=dialog.transmission_id if dialog else None,
    )


@router.post(
    "/future/orders/composed-email",
    status_code=201,
    response_model=None,
    responses=_RESPONSES,
    summary="Send one e-mail with attachments",
    description="The attachments are fetched from their URLs when the e-mail is sent (its own "
    "dispatch lane, so slow downloads hold back no other e-mail). A URL that then refuses, is not "
    "found or has expired fails the e-mail as `Failed_InvalidSasUrl`; one still failing with 5xx or "
    "no answer after a few attempts too. A file or message larger than the operator's limits, or "
    "one the mail relay refuses as too large, fails it as `Failed_PayloadTooLarge`.",
)
async def post_composed_email(
    body: ComposedEmailRequestExt,
    owner: ComposedEmailOwnerDep,
    database: DatabaseDep,
    now: NowDep,
    outbound: OutboundPolicyDep,
    defaults: OrderDefaultsDep,
    settings: NotificationSettingsDep,
    base_url: PublicBaseUrlDep,
) -> Response:
    async with database.atomic_write() as connection:
        registration = await service.register_composed_email(
            connection,
            Creator(owner.org),
            _order(body, defaults.email_from_address),
            now=now,
            outbound=outbound,
            hosts=AttachmentHosts.from_text(settings.attachment_hosts),
        )
    answer = NotificationOrderChainResponseExt.model_validate(registration.receipt)
    if not registration.created:
        return json_response(answer, 200, exclude_none=True)
    location = shipment_url(base_url, registration.shipment_id)
    return json_response(answer, 201, headers={"Location": location}, exclude_none=True)
