"""The support look-up (`GET /future/dashboard/recipients/notifications/nin|orgnumber`): every
notification to one person or organisation, across every creator, for support staff holding the
scope `altinn:notifications.support.admin`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response
from pydantic import TypeAdapter

from orderdesk.auth.errors import Forbidden, Unauthenticated
from orderdesk.core.errors import InvalidInput
from orderdesk.notifications.api.mapping import API_PREFIX
from orderdesk.notifications.models import lifecycle_status
from orderdesk.notifications.rules.shipments import RECIPIENT_TYPES, RecipientNotification
from orderdesk.notifications.schemas.shipments import RecipientNotificationExt, ZonedTime
from orderdesk.notifications.service import shipments as service
from orderdesk.notifications.service.shipments import SUPPORT_LOOKUP_LIMIT
from orderdesk.web.deps import DatabaseDep, NowDep, SupportAdminDep
from orderdesk.web.log_context import OrderLoggedRoute
from orderdesk.web.problems import openapi_responses
from orderdesk.web.wire import json_array_response

router = APIRouter(
    prefix=f"{API_PREFIX}/future/dashboard/recipients/notifications",
    tags=["Support look-up"],
    route_class=OrderLoggedRoute,
)

_FOUND = TypeAdapter(list[RecipientNotificationExt])
_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "model": list[RecipientNotificationExt],
        "description": "The notifications found, newest first; an empty list when there are none.",
    },
    **openapi_responses(InvalidInput, Unauthenticated, Forbidden),
}
_DESCRIPTION = (
    "Every notification to the {whom}, whatever organisation ordered it, whose order was to be sent "
    "from `from` (included) to `to` (excluded). `to` defaults to now and `from` to 30 days before "
    "`to`; the window has no maximum, but the answer holds at most "
    f"{SUPPORT_LOOKUP_LIMIT} notifications, those with the latest send times first: narrow the window "
    "to see older ones. A window that ends before it starts holds none. Needs a bearer token with the "
    "scope `altinn:notifications.support.admin`: the answer names people's addresses across creators."
)
_FROM_DESCRIPTION = "The start of the window, ISO 8601 with a zone (default: 30 days before `to`)."
_TO_DESCRIPTION = "The end of the window, ISO 8601 with a zone (default: now)."


@router.get(
    "/nin",
    response_model=None,
    responses=_RESPONSES,
    summary="Find every notification to a person",
    description=_DESCRIPTION.format(whom="person with this national identity number"),
)
async def get_notifications_by_nin(
    database: DatabaseDep,
    now: NowDep,
    _support: SupportAdminDep,
    national_identity_number: Annotated[
        str,
        Header(
            alias="NationalIdentityNumber",
            pattern=r"^[0-9]{11}$",
            description="The person's national identity number (11 digits).",
        ),
    ],
    start: Annotated[ZonedTime, Query(alias="from", description=_FROM_DESCRIPTION)] = None,
    end: Annotated[ZonedTime, Query(alias="to", description=_TO_DESCRIPTION)] = None,
) -> Response:
    async with database.read() as connection:
        found = await service.find_recipient_notifications(
            connection,
            service.lookup_window(start, end, now),
            national_identity_number=national_identity_number,
        )
    return await _answer(found)


@router.get(
    "/orgnumber",
    response_model=None,
    responses=_RESPONSES,
    summary="Find every notification to an organisation",
    description=_DESCRIPTION.format(whom="organisation with this organisation number"),
)
async def get_notifications_by_org_number(
    database: DatabaseDep,
    now: NowDep,
    _support: SupportAdminDep,
    organization_number: Annotated[
        str,
        Header(
            alias="OrganizationNumber",
            pattern=r"^[0-9]{9}$",
            description="The organisation's number (9 digits).",
        ),
    ],
    start: Annotated[ZonedTime, Query(alias="from", description=_FROM_DESCRIPTION)] = None,
    end: Annotated[ZonedTime, Query(alias="to", description=_TO_DESCRIPTION)] = None,
) -> Response:
    async with database.read() as connection:
        found = await service.find_recipient_notifications(
            connection, service.lookup_window(start, end, now), organization_number=organization_number
        )
    return await _answer(found)


async def _answer(found: list[RecipientNotification]) -> Response:
    return await json_array_response(_FOUND, found, _found_ext)


def _found_ext(item: RecipientNotification) -> RecipientNotificationExt:
    return RecipientNotificationExt(
        notification_id=item.notification_id,
        order_id=item.order_id,
        shipment_id=item.shipment_id,
        shipment_type=item.order_type,
        creator=item.creator,
        senders_reference=item.senders_reference,
        channel=RECIPIENT_TYPES[item.channel],
        destination=item.destination,
        status=lifecycle_status(item.status),
        requested_send_time=item.requested_send_time,
        created=item.created,
        last_update=item.last_update,
    )
