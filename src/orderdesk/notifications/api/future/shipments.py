"""Tracking in the current API generation: a shipment's delivery manifest
(`GET /future/shipment/{id}`) and the status feed of the caller's final shipments
(`GET /future/shipment/feed`). Same authentication as v1; only the caller's own orders."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from pydantic import TypeAdapter

from orderdesk.auth.errors import Forbidden, Unauthenticated
from orderdesk.core.errors import InvalidInput
from orderdesk.core.offload import off_loop_if_large
from orderdesk.notifications.api.mapping import API_PREFIX
from orderdesk.notifications.errors import ShipmentNotFound
from orderdesk.notifications.models import Creator, lifecycle_status
from orderdesk.notifications.rules.shipments import RECIPIENT_TYPES, FeedEntry, Shipment
from orderdesk.notifications.schemas.shipments import (
    DeliveryRecipientExt,
    NotificationDeliveryManifestExt,
    StatusFeedExt,
)
from orderdesk.notifications.service import shipments as service
from orderdesk.notifications.service.shipments import FEED_PAGE_SIZE, FeedOrder
from orderdesk.web.deps import DatabaseDep, NowDep, ServiceOwnerDep
from orderdesk.web.log_context import OrderLoggedRoute
from orderdesk.web.problems import openapi_responses
from orderdesk.web.wire import json_text

router = APIRouter(
    prefix=f"{API_PREFIX}/future", tags=["Shipments and status feed"], route_class=OrderLoggedRoute
)

MAX_SEQUENCE_NUMBER = 2**63 - 1
"""The largest sequence number the feed's column holds (BIGINT)."""
_AUTH_ERRORS = openapi_responses(Unauthenticated, Forbidden)
_FEED = TypeAdapter(list[StatusFeedExt])


@router.get(
    "/shipment/feed",
    response_model=None,
    responses={
        200: {
            "model": list[StatusFeedExt],
            "description": "One page of entries; an empty list when there is none past the cursor.",
        },
        **openapi_responses(InvalidInput),
        **_AUTH_ERRORS,
    },
    summary="Read the status feed of the caller's final shipments",
    description=(
        "Every order of the caller (of any type, v1 orders too) gets one entry when it reaches a final "
        "status: `Order_Completed` or `Order_SendConditionNotMet` (cancelled orders get none). The "
        "entry is the shipment as it was then.\n\n"
        "Page with the cursor `seq`: `orderBy=asc` answers the entries after it, oldest first; "
        "`orderBy=desc` those before it, newest first (`seq=0`: from the newest). To follow the feed, "
        "find its end with `orderBy=desc&pageSize=1`, then read `asc` from the last `sequenceNumber` "
        "seen. Entries are shown once they are two seconds old, so that none is skipped; they are kept "
        "for `ORDERDESK_NOTIFICATIONS_STATUS_FEED_RETENTION_DAYS` (90 by default)."
    ),
)
async def get_status_feed(
    database: DatabaseDep,
    now: NowDep,
    owner: ServiceOwnerDep,
    seq: Annotated[
        int,
        Query(
            ge=0,
            le=MAX_SEQUENCE_NUMBER,
            description="The cursor: the `sequenceNumber` of the last entry seen, excluded (0: the start).",
        ),
    ] = 0,
    page_size: Annotated[
        int,
        Query(
            alias="pageSize",
            description=f"Entries per page, {FEED_PAGE_SIZE} at most; a value out of 1…{FEED_PAGE_SIZE} "
            "is brought into that range.",
        ),
    ] = FEED_PAGE_SIZE,
    order_by: Annotated[FeedOrder, Query(alias="orderBy", description="`asc` or `desc`.")] = FeedOrder.ASC,
) -> Response:
    async with database.read() as connection:
        entries = await service.read_feed(
            connection, Creator(owner.org), seq=seq, page_size=page_size, order=order_by, now=now
        )
    size = sum(len(entry.entry.get("recipients", ())) for entry in entries)
    body = await off_loop_if_large(size, lambda: _feed_json(entries))
    return Response(body, media_type="application/json")


def _feed_json(entries: list[FeedEntry]) -> bytes:
    items = [
        StatusFeedExt.model_validate({**entry.entry, "sequenceNumber": entry.sequence_number})
        for entry in entries
    ]
    return _FEED.dump_json(items, by_alias=True, exclude_none=True)


@router.get(
    "/shipment/{id}",
    response_model=None,
    responses={
        200: {"model": NotificationDeliveryManifestExt, "description": "The shipment."},
        **openapi_responses(ShipmentNotFound),
        **_AUTH_ERRORS,
    },
    summary="Get a shipment: one order with the status of each of its notifications",
    description=(
        "A shipment is one order of any type (a main notification, a reminder, an instant or a "
        "composed order, or a v1 order). `recipients` is empty until the order has been processed. An "
        "id that is not a UUID, names no order, or names another organisation's order is answered 404 "
        "with `code` `NOT-00003`."
    ),
)
async def get_shipment(
    database: DatabaseDep,
    owner: ServiceOwnerDep,
    shipment_id: Annotated[str, Path(alias="id", description="The id of the order (a UUID).")],
) -> Response:
    async with database.transaction() as connection:
        shipment = await service.get_shipment(connection, Creator(owner.org), shipment_id)
    body = await off_loop_if_large(
        len(shipment.recipients), lambda: json_text(_manifest(shipment), exclude_none=True)
    )
    return Response(body, media_type="application/json")


def _manifest(shipment: Shipment) -> NotificationDeliveryManifestExt:
    return NotificationDeliveryManifestExt(
        shipment_id=shipment.id,
        senders_reference=shipment.senders_reference,
        type=shipment.order_type,
        status=lifecycle_status(shipment.status),
        last_update=shipment.last_update,
        recipients=[
            DeliveryRecipientExt(
                type=RECIPIENT_TYPES[recipient.channel],
                destination=recipient.destination,
                status=lifecycle_status(recipient.status),
                last_update=recipient.last_update,
            )
            for recipient in shipment.recipients
        ],
    )
