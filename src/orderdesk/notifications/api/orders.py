"""HTTP routes of the notification API v1 (`/notifications/api/v1`).

The seeds write the paths both as `/order/{id}` and `/orders/{id}`; both are answered, the singular
form kept out of the OpenAPI document.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel

from orderdesk.auth.errors import Forbidden, Unauthenticated
from orderdesk.auth.principals import ServiceOwner
from orderdesk.core.db import Database
from orderdesk.core.errors import InvalidInput
from orderdesk.core.offload import off_loop_if_large
from orderdesk.core.outbound import AddressPolicy
from orderdesk.notifications.api import mapping
from orderdesk.notifications.api.deps import NotificationParts
from orderdesk.notifications.errors import CancellationProhibited, OrderNotFound
from orderdesk.notifications.models import Creator, OrderRequest
from orderdesk.notifications.schemas.fields import Reference
from orderdesk.notifications.schemas.v1 import (
    EmailNotificationOrderRequestExt,
    EmailNotificationSummaryExt,
    NotificationOrderExt,
    NotificationOrderListExt,
    NotificationOrderRequestExt,
    NotificationOrderRequestResponseExt,
    NotificationOrderWithStatusExt,
    SmsNotificationOrderRequestExt,
    SmsNotificationSummaryExt,
)
from orderdesk.notifications.service import orders as service
from orderdesk.notifications.service.orders import OrderDefaults
from orderdesk.web.deps import (
    DatabaseDep,
    NowDep,
    PublicBaseUrlDep,
    ServiceOwnerDep,
    Shared,
    documents_service_owner,
    part_of,
    service_owner,
)
from orderdesk.web.links import links_to
from orderdesk.web.log_context import OrderLoggedRoute, bind_order_id
from orderdesk.web.problems import openapi_responses
from orderdesk.web.wire import json_text

router = APIRouter(prefix=mapping.API_PREFIX, tags=["Notification orders (v1)"], route_class=OrderLoggedRoute)

OrderIdPath = Annotated[UUID, Path(alias="id", description="The id of the notification order.")]

_AUTH_ERRORS = openapi_responses(Unauthenticated, Forbidden)
_REGISTER_RESPONSES: dict[int | str, dict[str, Any]] = {
    202: {
        "model": NotificationOrderRequestResponseExt,
        "description": "The order was registered; `Location` points at it.",
        "links": links_to(
            "id",
            "$response.body#/orderId",
            *(
                (method, f"{mapping.API_PREFIX}/orders/{{id}}{suffix}")
                for method, suffix in (
                    ("GET", ""),
                    ("GET", "/status"),
                    ("GET", "/notifications/email"),
                    ("GET", "/notifications/sms"),
                    ("PUT", "/cancel"),
                )
            ),
        ),
    },
    **openapi_responses(InvalidInput),
    **_AUTH_ERRORS,
}
_EMPTY_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No order with this id was found for the caller. The body is empty."}
}


async def _json_of_size(size: int, build: Callable[[], BaseModel]) -> Response:
    """A 200 JSON answer of `size` items (recipients, notifications), built and serialised off the
    event loop when they are many: 100 000 of them held the loop, and so every other request, for
    seconds. The bytes are those json_response() writes."""

    def render() -> str:
        return json_text(build(), exclude_none=True)

    return Response(await off_loop_if_large(size, render), media_type="application/json")


@dataclass(frozen=True, slots=True)
class _Intake:
    """What registering an order needs besides the order, the same for the three intake routes."""

    database: Database
    now: datetime
    owner: ServiceOwner
    outbound: AddressPolicy
    defaults: OrderDefaults
    base_url: str


@documents_service_owner
async def _intake(request: Request) -> _Intake:
    """The caller and the app's parts read here rather than each as a dependency of its own:
    FastAPI's solving of six more dependencies was a seventh of an intake's instructions."""
    shared = part_of(request, Shared)
    owner = service_owner(request)
    return _Intake(
        database=shared.database,
        now=shared.clock(),
        owner=owner,
        outbound=shared.outbound_policy,
        defaults=part_of(request, NotificationParts).defaults,
        base_url=shared.links_base_url,
    )


IntakeDep = Annotated[_Intake, Depends(_intake)]


@dataclass(frozen=True, slots=True)
class _Reading:
    """What reading an order needs, the same for the order and its status (both spellings)."""

    database: Database
    owner: ServiceOwner
    base_url: str


@documents_service_owner
async def _reading(request: Request) -> _Reading:
    """As `_intake`: three dependencies fewer were a twelfth of a status read's instructions."""
    owner = service_owner(request)
    shared = part_of(request, Shared)
    return _Reading(database=shared.database, owner=owner, base_url=shared.links_base_url)


ReadingDep = Annotated[_Reading, Depends(_reading)]


async def _register(intake: _Intake, order: OrderRequest) -> Response:
    # Registering writes one row, which on PostgreSQL also tells other processes' workers: atomic
    # as a statement, so no transaction around it (its BEGIN and COMMIT were round trips of their own).
    registration = await service.place_order(
        intake.database,
        Creator(intake.owner.org),
        order,
        now=intake.now,
        defaults=intake.defaults,
        outbound=intake.outbound,
    )
    bind_order_id(registration.order_id)
    body = mapping.registration_json(registration.order_id, registration.recipient_lookup)
    location = mapping.order_url(intake.base_url, registration.order_id)
    return Response(body, 202, headers={"Location": location}, media_type="application/json")


@router.post(
    "/orders",
    status_code=202,
    response_model=None,
    responses=_REGISTER_RESPONSES,
    summary="Place a notification order on any channel",
)
async def post_order(body: NotificationOrderRequestExt, intake: IntakeDep) -> Response:
    return await _register(intake, mapping.order_request(body))


@router.post(
    "/orders/email",
    status_code=202,
    response_model=None,
    responses=_REGISTER_RESPONSES,
    summary="Place an e-mail notification order",
)
async def post_email_order(body: EmailNotificationOrderRequestExt, intake: IntakeDep) -> Response:
    return await _register(intake, mapping.email_order_request(body))


@router.post(
    "/orders/sms",
    status_code=202,
    response_model=None,
    responses=_REGISTER_RESPONSES,
    summary="Place an SMS notification order",
)
async def post_sms_order(body: SmsNotificationOrderRequestExt, intake: IntakeDep) -> Response:
    return await _register(intake, mapping.sms_order_request(body))


@router.get(
    "/orders",
    response_model=None,
    responses={
        200: {
            "model": NotificationOrderListExt,
            "description": "The caller's orders with this reference; an empty list when there are none.",
        },
        **openapi_responses(InvalidInput),
        **_AUTH_ERRORS,
    },
    summary="Find orders by the sender's reference",
)
async def get_orders(
    base: PublicBaseUrlDep,
    database: DatabaseDep,
    owner: ServiceOwnerDep,
    senders_reference: Annotated[Reference, Query(alias="sendersReference", min_length=1)],
) -> Response:
    async with database.read() as connection:
        orders = await service.find_orders(connection, Creator(owner.org), senders_reference)
    return await _json_of_size(
        sum(len(order.recipients) for order in orders),
        lambda: NotificationOrderListExt(
            count=len(orders), orders=[mapping.order_ext(order, base) for order in orders]
        ),
    )


async def get_order(reading: ReadingDep, order_id: OrderIdPath) -> Response:
    try:
        async with reading.database.read() as connection:
            order = await service.get_order(connection, Creator(reading.owner.org), order_id)
    except OrderNotFound:
        return Response(status_code=404)
    return await _json_of_size(len(order.recipients), lambda: mapping.order_ext(order, reading.base_url))


async def get_order_status(reading: ReadingDep, order_id: OrderIdPath) -> Response:
    try:
        order = await service.get_order_state(reading.database, Creator(reading.owner.org), order_id)
    except OrderNotFound:
        return Response(status_code=404)
    return Response(mapping.order_with_status_json(order, reading.base_url), media_type="application/json")


async def cancel_order(
    base: PublicBaseUrlDep,
    database: DatabaseDep,
    now: NowDep,
    owner: ServiceOwnerDep,
    order_id: OrderIdPath,
) -> Response:
    async with database.transaction() as connection:
        order = await service.cancel_order(connection, Creator(owner.org), order_id, now=now)
    return Response(mapping.order_with_status_json(order, base), media_type="application/json")


async def get_email_notifications(
    database: DatabaseDep, owner: ServiceOwnerDep, order_id: OrderIdPath
) -> Response:
    try:
        async with database.transaction() as connection:
            summary = await service.get_email_summary(connection, Creator(owner.org), order_id)
    except OrderNotFound:
        return Response(status_code=404)
    return await _json_of_size(len(summary.notifications), lambda: mapping.email_summary_ext(summary))


async def get_sms_notifications(
    database: DatabaseDep, owner: ServiceOwnerDep, order_id: OrderIdPath
) -> Response:
    try:
        async with database.transaction() as connection:
            summary = await service.get_sms_summary(connection, Creator(owner.org), order_id)
    except OrderNotFound:
        return Response(status_code=404)
    return await _json_of_size(len(summary.notifications), lambda: mapping.sms_summary_ext(summary))


def _add_both_spellings(
    method: str,
    suffix: str,
    endpoint: Callable[..., Any],
    model: type[BaseModel],
    summary: str,
    errors: dict[int | str, dict[str, Any]],
) -> None:
    responses: dict[int | str, dict[str, Any]] = {
        200: {"model": model, "description": "OK"},
        **openapi_responses(InvalidInput),
        **_AUTH_ERRORS,
        **errors,
    }
    for collection, in_schema in (("orders", True), ("order", False)):
        router.add_api_route(
            f"/{collection}/{{id}}{suffix}",
            endpoint,
            methods=[method],
            response_model=None,
            responses=responses,
            summary=summary,
            include_in_schema=in_schema,
            name=f"{endpoint.__name__}_{collection}",
        )


_add_both_spellings("GET", "", get_order, NotificationOrderExt, "Get an order", _EMPTY_NOT_FOUND)
_add_both_spellings(
    "GET",
    "/status",
    get_order_status,
    NotificationOrderWithStatusExt,
    "Get an order with its processing status",
    _EMPTY_NOT_FOUND,
)
_add_both_spellings(
    "PUT",
    "/cancel",
    cancel_order,
    NotificationOrderWithStatusExt,
    "Cancel an order that has not started processing",
    openapi_responses(OrderNotFound, CancellationProhibited),
)
_add_both_spellings(
    "GET",
    "/notifications/email",
    get_email_notifications,
    EmailNotificationSummaryExt,
    "List the e-mail notifications of an order",
    _EMPTY_NOT_FOUND,
)
_add_both_spellings(
    "GET",
    "/notifications/sms",
    get_sms_notifications,
    SmsNotificationSummaryExt,
    "List the SMS notifications of an order",
    _EMPTY_NOT_FOUND,
)
