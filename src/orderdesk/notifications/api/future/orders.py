"""`POST /future/orders`: an order chain, a main notification and its reminders, registered under the
client's idempotency id."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from orderdesk.auth.errors import Forbidden, Unauthenticated
from orderdesk.core.errors import InvalidInput
from orderdesk.notifications.api import mapping
from orderdesk.notifications.api.future import chain_mapping
from orderdesk.notifications.api.orders import IntakeDep
from orderdesk.notifications.errors import MissingContactInformation
from orderdesk.notifications.models import Creator
from orderdesk.notifications.schemas.future import (
    NotificationOrderChainRequestExt,
    NotificationOrderChainResponseExt,
)
from orderdesk.notifications.service import chains as service
from orderdesk.web.log_context import OrderLoggedRoute
from orderdesk.web.problems import openapi_responses
from orderdesk.web.wire import json_response

FUTURE_PREFIX = f"{mapping.API_PREFIX}/future"

router = APIRouter(prefix=FUTURE_PREFIX, tags=["Notification orders"], route_class=OrderLoggedRoute)

_LOCATION = {"Location": {"description": "The main notification's shipment.", "schema": {"type": "string"}}}
_CHAIN_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "model": NotificationOrderChainResponseExt,
        "description": "This idempotency id was used before: the answer of that first request, and nothing "
        "new registered, whatever this request's body says.",
    },
    201: {
        "model": NotificationOrderChainResponseExt,
        "description": "The chain was registered: the main notification and each reminder, each an order "
        "of its own (a shipment).",
        "headers": _LOCATION,
    },
    **openapi_responses(InvalidInput, MissingContactInformation, Unauthenticated, Forbidden),
}


def shipment_url(base_url: str, shipment_id: object) -> str:
    return f"{base_url.rstrip('/')}{FUTURE_PREFIX}/shipment/{shipment_id}"


@router.post(
    "/orders",
    status_code=201,
    response_model=None,
    responses=_CHAIN_RESPONSES,
    summary="Place an order chain: a notification and its reminders",
    description="Each reminder is sent at its own time (`delayDays` after the main notification, or its "
    'own `requestedSendTime`) if its condition endpoint, asked then, says so: typically "the dialog is '
    'still unread". A person or organisation without a contact point on the channel is refused with '
    "422 `NOT-00001` before anything is stored.",
)
async def post_order_chain(body: NotificationOrderChainRequestExt, intake: IntakeDep) -> Response:
    chain = chain_mapping.chain_request(body)
    registration = await service.place_chain(
        intake.database,
        Creator(intake.owner.org),
        chain,
        now=intake.now,
        defaults=intake.defaults,
        outbound=intake.outbound,
    )
    answer = chain_mapping.chain_response(registration.receipt)
    if not registration.created:
        return json_response(answer, 200, exclude_none=True)
    location = shipment_url(intake.base_url, registration.receipt.main.order_id)
    return json_response(answer, 201, headers={"Location": location}, exclude_none=True)
