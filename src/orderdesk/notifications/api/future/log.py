"""The notification log (`GET /future/log`): the notifications sent for a Dialogporten dialog or one of
its transmissions, as the chains registered with `dialogportenAssociation` name them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import TypeAdapter

from orderdesk.auth.errors import Forbidden, Unauthenticated
from orderdesk.core.errors import InvalidInput
from orderdesk.notifications.api.mapping import API_PREFIX
from orderdesk.notifications.models import Creator, lifecycle_status
from orderdesk.notifications.rules.shipments import RECIPIENT_TYPES, DialogNotification
from orderdesk.notifications.schemas.fields import Reference
from orderdesk.notifications.schemas.shipments import NotificationLogEntryExt
from orderdesk.notifications.service import shipments as service
from orderdesk.notifications.service.shipments import DIALOG_LOG_LIMIT
from orderdesk.web.deps import DatabaseDep, ServiceOwnerDep
from orderdesk.web.log_context import OrderLoggedRoute
from orderdesk.web.problems import openapi_responses
from orderdesk.web.wire import json_array_response

router = APIRouter(
    prefix=f"{API_PREFIX}/future", tags=["Shipments and status feed"], route_class=OrderLoggedRoute
)

_LOG = TypeAdapter(list[NotificationLogEntryExt])


@router.get(
    "/log",
    response_model=None,
    responses={
        200: {
            "model": list[NotificationLogEntryExt],
            "description": "The notifications, oldest send time first; an empty list when there are none.",
        },
        **openapi_responses(InvalidInput, Unauthenticated, Forbidden),
    },
    summary="Read the notifications sent for a dialog or transmission",
    description=(
        "Every notification of the caller's order chains whose `dialogportenAssociation` names this "
        "`dialogId` (and this `transmissionId`, when given), with its status now. At most "
        f"{DIALOG_LOG_LIMIT}, oldest send time first."
    ),
)
async def get_notification_log(
    database: DatabaseDep,
    owner: ServiceOwnerDep,
    dialog_id: Annotated[Reference, Query(alias="dialogId", min_length=1, description="The dialog's id.")],
    transmission_id: Annotated[
        Reference | None,
        Query(alias="transmissionId", min_length=1, description="Only the chains of this transmission."),
    ] = None,
) -> Response:
    async with database.read() as connection:
        found = await service.find_dialog_notifications(
            connection, Creator(owner.org), dialog_id=dialog_id, transmission_id=transmission_id
        )
    return await json_array_response(_LOG, found, _entry)


def _entry(item: DialogNotification) -> NotificationLogEntryExt:
    return NotificationLogEntryExt(
        order_chain_id=item.chain_id,
        shipment_id=item.shipment_id,
        notification_id=item.notification_id,
        senders_reference=item.senders_reference,
        dialog_id=item.dialog_id,
        transmission_id=item.transmission_id,
        shipment_type=item.order_type,
        channel=RECIPIENT_TYPES[item.channel],
        destination=item.destination,
        resource=item.resource_id,
        status=lifecycle_status(item.status),
        requested_send_time=item.requested_send_time,
        last_update=item.last_update,
    )
