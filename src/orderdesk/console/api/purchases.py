"""Purchase orders of every client: the list, filtered by client and status, and an order's page with
its lines and its callback; an admin sends the callback again there, through the purchase family's
own callback use case (a new round of calls, due now)."""

from __future__ import annotations

import json

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.console.api.deps import page, see_other
from orderdesk.console.api.guard import AdminFormDep, OperatorDep
from orderdesk.console.api.inputs import choice, number_key, order_number, text_filter
from orderdesk.console.api.lists import page_links, read_page
from orderdesk.console.api.refusals import Done, audited_refusal, messages_of, refused_as_page
from orderdesk.console.models import Session
from orderdesk.core.db import Database
from orderdesk.core.errors import DomainError
from orderdesk.purchases.errors import OrderNotFound
from orderdesk.purchases.models import OrderStatus
from orderdesk.purchases.service import callbacks, clients, listing
from orderdesk.web.deps import DatabaseDep, NowDep
from orderdesk.web.log_context import OrderLoggedRoute

router = APIRouter(prefix="/console", route_class=OrderLoggedRoute)

MAX_CLIENT_ID_LENGTH = 64
SEND_CALLBACK_AGAIN = "send_callback_again"


@router.get("/purchases")
async def get_purchases(
    session: OperatorDep, database: DatabaseDep, client: str = "", status: str = "", cursor: str = ""
) -> Response:
    """Every client's orders, newest first; of one client (by id) or one status."""
    with refused_as_page(session):
        client_filter = text_filter(client, "client", MAX_CLIENT_ID_LENGTH)
        status_filter = choice(status, list(OrderStatus), "status")
        after = number_key(cursor)
    listed = await read_page(
        database,
        lambda connection, limit: listing.list_orders(
            connection, client_id=client_filter, status=status_filter, after=after, limit=limit
        ),
        lambda order: (order.order_id,),
    )
    async with database.read() as connection:  # the filter's choices: a few rows
        known = await clients.list_clients(connection)
    return page(
        "purchases.html",
        session=session,
        orders=listed.items,
        clients=known,
        statuses=list(OrderStatus),
        client=client_filter or "",
        status_filter=status_filter,
        links=page_links(listed, cursor, "/purchases", client=client_filter, status=status_filter),
    )


@router.get("/purchases/{order_id}")
async def get_purchase(order_id: str, session: OperatorDep, database: DatabaseDep) -> Response:
    """The order with its lines and its callback: URL, state, attempts, last error, next call."""
    with refused_as_page(session):
        return await _order_page(database, session, order_id)


@router.post("/purchases/{order_id}/callback")
async def post_send_callback_again(
    order_id: str, form: AdminFormDep, database: DatabaseDep, now: NowDep
) -> Response:
    """303 back to the order's page with the callback due now (audited in the same transaction); the
    page again with the refusal's message and status (409 without a callback URL, or before
    fulfilment has ended)."""
    number = order_number(order_id)
    with refused_as_page(form.session):
        if number is None:
            raise OrderNotFound()

        async def send_again(connection: AsyncConnection) -> Done:
            await callbacks.call_back_again(connection, number, now)
            return Done(("purchase_order", str(number)))

        refusal = await audited_refusal(database, form, SEND_CALLBACK_AGAIN, now, send_again)
        if refusal is not None:
            return await _order_page(database, form.session, order_id, refusal)
    return see_other(f"/purchases/{number}")


async def _order_page(
    database: Database, session: Session, order_id: str, refusal: DomainError | None = None
) -> Response:
    number = order_number(order_id)
    if number is None:
        raise OrderNotFound()
    async with database.transaction() as connection:  # the order and its lines: one snapshot
        record = await listing.get_order_record(connection, number)
    return page(
        "purchase.html",
        refusal.status if refusal else 200,
        session=session,
        record=record,
        order=record.listing,
        payer=json.dumps(record.payer, indent=2, ensure_ascii=False, sort_keys=True),
        refusal=messages_of(refusal) if refusal else [],
    )
