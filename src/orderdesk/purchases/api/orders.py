"""Client mode (`/capi/v1/client/…`): only the client system is logged in. It registers a customer's
order, completes it through the fulfilment API and reads its status."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from orderdesk.core.errors import InvalidInput
from orderdesk.core.outbound import refused_fields
from orderdesk.purchases import service
from orderdesk.purchases.api.callback_doc import FULFILMENT_CALLBACK
from orderdesk.purchases.api.common import (
    ERRORS,
    NOT_FOUND,
    PREFIX,
    ApiClientDep,
    CapiRoute,
)
from orderdesk.purchases.api.mapping import new_order, status_item
from orderdesk.purchases.models import MAX_ID
from orderdesk.purchases.schemas import (
    FulfillmentRequest,
    FulfillmentResponse,
    OrderStatusList,
    RegisteredOrder,
    RegisterOrderRequest,
)
from orderdesk.web.deps import DatabaseDep, NowDep, OutboundPolicyDep
from orderdesk.web.links import links_to
from orderdesk.web.log_context import bind_order_id
from orderdesk.web.wire import json_response

router = APIRouter(prefix=PREFIX, tags=["Purchase orders: client mode"], route_class=CapiRoute)


@router.post(
    "/client/order",
    response_model=RegisteredOrder,
    responses={
        **ERRORS,
        200: {
            **ERRORS[200],
            "links": links_to(
                "orderId", "$response.body#/orderId", ("GET", f"{PREFIX}/client/order/status/{{orderId}}")
            ),
        },
    },
    summary="Register order - client mode",
    description="""Registers a customer's order as `preliminary` and answers its `orderId`, needed to
complete it by `POST /capi/v1/client/order/fulfillment`. An `externalOrderId` is unique per client: sending
it again answers the order first registered with it and stores nothing. Each line needs the fields of its
`productSpecType`: coupon `productSpecCode` and `productSpecNo`; product `product`; issue `productSpecCode`,
`productSpecNo` and `product`; article `articleDetail`. Amounts are multiples of 0.01.""",
)
async def register_order(
    body: RegisterOrderRequest, client: ApiClientDep, database: DatabaseDep, now: NowDep
) -> Response:
    async with database.transaction() as connection:
        order_id = await service.ordering.register_order(
            connection, client.client_id, new_order(body, now), now
        )
    bind_order_id(order_id)
    return json_response(RegisteredOrder(order_id=order_id))


@router.get(
    "/client/order/status/{orderId}",
    response_model=OrderStatusList,
    responses={**ERRORS, **NOT_FOUND},
    summary="List order status - client mode",
    description="""Basic status of one of the client's orders; always one order. `orderStatus` is
`preliminary` (registered, not yet completed), `confirmed` (Received and Validated), `processed`
(customer linked, lines checked against the catalogue, invoice written) or `failed`. `orderTime` is in
epoch milliseconds; `customerNumber` is null until the order is processed unless the payer named one.""",
)
async def get_order_status(
    order_id: Annotated[int, Path(alias="orderId", ge=1, le=MAX_ID)],
    client: ApiClientDep,
    database: DatabaseDep,
) -> Response:
    async with database.transaction() as connection:
        summary = await service.ordering.get_order_status(connection, client.client_id, order_id)
    return json_response(OrderStatusList(orders=[status_item(summary)]))


@router.post(
    "/client/order/fulfillment",
    response_model=FulfillmentResponse,
    responses={**ERRORS, **NOT_FOUND},
    summary="Complete order - client mode",
    description="""Completes an order that needs no user: paymentMethod `invoice`, `other` or `free`, or
any prepaid order. It becomes `confirmed`, and a worker carries it to `processed` or `failed`; the
`callbackUrl`, when given, is then called with GET and `fulfillmentStatus=success|failed` (and `orderId`),
retried with back-off until it answers 2xx, signed with the Standard Webhooks headers (`webhook-id`,
`webhook-timestamp`, `webhook-signature`) over the request's raw query string exactly as sent, with the
client's `callback_signing_secret` (see the callback below). Other payment methods need the user at a
payment provider: `fulfillmentStatus` is `ERROR` with the reason in `errorMessage`, and the order stays
`preliminary`.
Completing an order again answers `OK` and changes nothing.""",
    callbacks=FULFILMENT_CALLBACK,
)
async def fulfil_order(
    body: FulfillmentRequest,
    client: ApiClientDep,
    database: DatabaseDep,
    now: NowDep,
    outbound: OutboundPolicyDep,
) -> Response:
    bind_order_id(body.order_id)
    refused = refused_fields(outbound, [("callbackUrl", body.callback_url)])
    if refused:
        raise InvalidInput(refused)
    async with database.transaction() as connection:
        outcome = await service.ordering.fulfil_order(
            connection, client.client_id, body.order_id, body.callback_url, now
        )
    answer = FulfillmentResponse(
        fulfillment_status=outcome.status, order_id=outcome.order_id, error_message=outcome.error_message
    )
    return json_response(answer)
