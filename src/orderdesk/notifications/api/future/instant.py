"""HTTP routes of instant orders: `POST /future/orders/instant/sms`, `…/instant/email` and the
deprecated `…/instant` (SMS only, the recipient under `recipient.recipientSms`).

The message is handed to the provider before the answer: 201 when it took it, 503 (`NOT-00004`) when
it could not, nothing stored then. The same idempotency id again answers 200 with the first answer
and sends nothing (service.instant tells how concurrent requests with one id are kept to one send).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from orderdesk.auth.errors import Forbidden, Unauthenticated
from orderdesk.core.clock import Clock
from orderdesk.core.db import Database
from orderdesk.core.errors import InvalidInput
from orderdesk.notifications.api import mapping
from orderdesk.notifications.api.deps import InstantPolicyDep, InstantProvidersDep, OrderDefaultsDep
from orderdesk.notifications.errors import ProviderUnavailable
from orderdesk.notifications.models import Creator
from orderdesk.notifications.schemas.instant import (
    InstantEmailNotificationOrderRequestExt,
    InstantNotificationOrderRequestExt,
    InstantNotificationOrderResponseExt,
    InstantSmsNotificationOrderRequestExt,
    RecipientInstantSmsExt,
)
from orderdesk.notifications.service import instant as service
from orderdesk.notifications.service.instant import (
    InstantEmail,
    InstantOrderRequest,
    InstantPolicy,
    InstantProviders,
    InstantSms,
)
from orderdesk.notifications.service.orders import OrderDefaults
from orderdesk.web.deps import ClockDep, DatabaseDep, PublicBaseUrlDep, ServiceOwnerDep
from orderdesk.web.log_context import OrderLoggedRoute
from orderdesk.web.problems import openapi_responses
from orderdesk.web.wire import json_response

router = APIRouter(
    prefix=f"{mapping.API_PREFIX}/future/orders/instant",
    tags=["Instant orders"],
    route_class=OrderLoggedRoute,
)

SHIPMENT_PATH = f"{mapping.API_PREFIX}/future/shipment"

_ANSWER = {"model": InstantNotificationOrderResponseExt}
_RESPONSES: dict[int | str, dict[str, Any]] = {
    201: {
        **_ANSWER,
        "description": "The provider took the message and the order was stored; `Location` points at "
        "its shipment (`/future/shipment/{shipmentId}`).",
    },
    200: {
        **_ANSWER,
        "description": "An instant order with this idempotency id was placed before: its answer again, "
        "and nothing sent.",
    },
    **openapi_responses(InvalidInput, Unauthenticated, Forbidden),
    503: {
        **openapi_responses(ProviderUnavailable)[503],
        "description": "The provider could not take the message (refused it, unreachable, a temporary "
        "failure or no answer in time), or a request with the same idempotency id is still being "
        "sent. Nothing was stored: send the request again, with the same idempotency id, after "
        "`Retry-After` seconds. The problem's `code` is `NOT-00004`.",
        "headers": {
            "Retry-After": {
                "description": "Seconds to wait before trying again.",
                "schema": {"type": "integer"},
            }
        },
    },
}


_HOW = """

Same authentication as the v1 orders. No contact look-up, no send condition, no daytime window.
The order is stored (type `Instant`, status `Processed`, its notification as the provider left it:
`Accepted` for an SMS through Kannel, `Succeeded` for an e-mail awaiting its delivery report,
`Delivered` when the provider is the final word) only once the provider has taken the message; it
completes like any order when the notification reaches a final status.

The idempotency id is claimed before the message is sent: the same id again (for any of the three
instant routes) sends nothing and answers 200 with the first answer; while the first request is
still sending, a second one waits for it (at most the send deadline,
`ORDERDESK_INSTANT_SEND_TIMEOUT_SECONDS`, 10 s by default) and then answers as it did. If the
provider could not take the message, nothing is kept and the same id may be used again. If the
process sending it dies, the notification is sent by the workers once its claim runs out (the
deadline plus `ORDERDESK_NOTIFICATIONS_WORKER_LEASE_SECONDS`), and the id answers 200."""


@dataclass(frozen=True, slots=True)
class _Placing:
    """What placing an instant order needs besides the order, the same for the three routes."""

    database: Database
    clock: Clock
    owner_org: str
    defaults: OrderDefaults
    providers: InstantProviders
    policy: InstantPolicy
    base_url: str


async def _placing(
    database: DatabaseDep,
    clock: ClockDep,
    owner: ServiceOwnerDep,
    defaults: OrderDefaultsDep,
    providers: InstantProvidersDep,
    policy: InstantPolicyDep,
    base_url: PublicBaseUrlDep,
) -> _Placing:
    return _Placing(database, clock, owner.org, defaults, providers, policy, base_url)


PlacingDep = Annotated[_Placing, Depends(_placing)]


async def _place(placing: _Placing, request: InstantOrderRequest) -> Response:
    answer = await service.place_instant_order(
        placing.database,
        placing.providers,
        request,
        creator=Creator(placing.owner_org),
        clock=placing.clock,
        defaults=placing.defaults,
        policy=placing.policy,
    )
    body = InstantNotificationOrderResponseExt.model_validate(answer.receipt)
    if not answer.created:
        return json_response(body, 200, exclude_none=True)
    location = f"{placing.base_url.rstrip('/')}{SHIPMENT_PATH}/{body.notification.shipment_id}"
    return json_response(body, 201, headers={"Location": location}, exclude_none=True)


def _sms(recipient: RecipientInstantSmsExt) -> InstantSms:
    return InstantSms(
        mobile_number=recipient.phone_number,
        sender=recipient.sms_settings.sender,
        body=recipient.sms_settings.body,
        time_to_live=timedelta(seconds=recipient.time_to_live_in_seconds),
    )


@router.post(
    "/sms",
    status_code=201,
    response_model=None,
    responses=_RESPONSES,
    summary="Send an SMS now",
    description="Hands one SMS to the SMS provider at once and answers once the provider has taken "
    "it. The SMS expires `timeToLiveInSeconds` after the request; it is counted in parts of 160 "
    "characters (134 each when split, URL-encoded), at most 16." + _HOW,
)
async def post_instant_sms_order(
    body: InstantSmsNotificationOrderRequestExt, placing: PlacingDep
) -> Response:
    return await _place(
        placing, InstantOrderRequest(body.idempotency_id, body.senders_reference, _sms(body.recipient_sms))
    )


@router.post(
    "/email",
    status_code=201,
    response_model=None,
    responses=_RESPONSES,
    summary="Send an e-mail now",
    description="Hands one e-mail to the e-mail provider at once and answers once the provider has "
    "taken it. Without a delivery report it expires after 48 hours." + _HOW,
)
async def post_instant_email_order(
    body: InstantEmailNotificationOrderRequestExt, placing: PlacingDep
) -> Response:
    recipient = body.recipient_email
    settings = recipient.email_settings
    email = InstantEmail(
        email_address=recipient.email_address,
        from_address=settings.sender_email_address,
        subject=settings.subject,
        body=settings.body,
        content_type=settings.content_type,
    )
    return await _place(placing, InstantOrderRequest(body.idempotency_id, body.senders_reference, email))


@router.post(
    "",
    status_code=201,
    response_model=None,
    responses=_RESPONSES,
    summary="Send an SMS now (deprecated shape)",
    description="The first shape of instant orders, SMS only, with the recipient under "
    "`recipient.recipientSms`: use `POST /future/orders/instant/sms` instead. It shares the "
    "idempotency ids of the other instant orders." + _HOW,
    deprecated=True,
)
async def post_instant_order(body: InstantNotificationOrderRequestExt, placing: PlacingDep) -> Response:
    return await _place(
        placing,
        InstantOrderRequest(body.idempotency_id, body.senders_reference, _sms(body.recipient.recipient_sms)),
    )
