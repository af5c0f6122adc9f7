"""Data orders of every user: the list, filtered by owner and status, and an order's page with its
sub-orders and files; an admin pauses, resumes, retries or deletes an order there, through
the same use cases (and so the same status rules) as its owner's API, on the owner's behalf."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import partial

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.console import paging
from orderdesk.console.api.deps import page, see_other
from orderdesk.console.api.guard import AdminFormDep, OperatorDep
from orderdesk.console.api.inputs import choice, number_key, order_number, text_filter, text_id_key
from orderdesk.console.api.lists import page_links, read_page
from orderdesk.console.api.refusals import Done, audited_refusal, messages_of, refused_as_page
from orderdesk.console.models import Session
from orderdesk.core.db import Database
from orderdesk.core.errors import DomainError
from orderdesk.dataorders.api.deps import StagingAreaDep
from orderdesk.dataorders.errors import OrderNotFound
from orderdesk.dataorders.models import DataOrder, OrderStatus
from orderdesk.dataorders.rules.ordering import USER_SUBORDER_HOURS
from orderdesk.dataorders.service import actions, listing
from orderdesk.web.deps import DatabaseDep, NowDep
from orderdesk.web.log_context import OrderLoggedRoute

router = APIRouter(prefix="/console", route_class=OrderLoggedRoute)

MAX_OWNER_LENGTH = 320
SUBORDERS_SHOWN = 100
"""Sub-orders listed on an order's page (its files are paged; an order has few sub-orders)."""

Action = Callable[[AsyncConnection, str, int, datetime], Awaitable[DataOrder]]
ACTIONS: dict[str, Action] = {
    "pause": actions.pause,
    "resume": actions.resume,
    # As the owner's retry through the API: the order lives as long again as one the user placed.
    "retry": partial(actions.retry, suborder_hours=USER_SUBORDER_HOURS),
    "delete": actions.delete,
}
"""The admin actions by the name in their URL (and in the audit trail)."""


@router.get("/data-orders")
async def get_data_orders(
    session: OperatorDep, database: DatabaseDep, owner: str = "", status: str = "", cursor: str = ""
) -> Response:
    """Every user's orders, deleted ones too, newest first; of one owner (the e-mail address exactly
    as in their token) or one status."""
    with refused_as_page(session):
        owner_filter = text_filter(owner, "owner", MAX_OWNER_LENGTH)
        status_filter = choice(status, list(OrderStatus), "status")
        after = number_key(cursor)
    listed = await read_page(
        database,
        lambda connection, limit: listing.list_orders(
            connection, owner=owner_filter, status=status_filter, after=after, limit=limit
        ),
        lambda order: (order.id,),
    )
    return page(
        "data_orders.html",
        session=session,
        orders=listed.items,
        statuses=list(OrderStatus),
        owner=owner_filter or "",
        status_filter=status_filter,
        links=page_links(listed, cursor, "/data-orders", owner=owner_filter, status=status_filter),
    )


@router.get("/data-orders/{order_id}")
async def get_data_order(
    order_id: str, session: OperatorDep, database: DatabaseDep, cursor: str = ""
) -> Response:
    """The order with its sub-orders, and its files by state (with their dataset and error), a page
    at a time."""
    with refused_as_page(session):
        return await _order_page(database, session, order_id, cursor)


@router.post("/data-orders/{order_id}/{action}")
async def post_data_order_action(
    order_id: str, action: str, form: AdminFormDep, database: DatabaseDep, now: NowDep, area: StagingAreaDep
) -> Response:
    """303 back to the order's page once done (its audit entry written in the same transaction); the
    page again with the refusal's message and status (409 when the order's status forbids it)."""
    act = ACTIONS.get(action)
    number = order_number(order_id)
    with refused_as_page(form.session):
        if act is None or number is None:
            raise OrderNotFound()

        async def take(connection: AsyncConnection) -> Done:
            order = await listing.get_order(connection, number)
            acted = await act(connection, order.owner, number, now)
            return Done(("data_order", str(number)), {"owner": order.owner, "status": acted.status.value})

        refusal = await audited_refusal(database, form, action, now, take)
        if refusal is not None:
            return await _order_page(database, form.session, order_id, "", refusal)
    if action == "delete":
        await actions.remove_files(area, number)  # as the API does, once DELETED is committed
    return see_other(f"/data-orders/{number}")


async def _order_page(
    database: Database, session: Session, order_id: str, cursor: str, refusal: DomainError | None = None
) -> Response:
    number = order_number(order_id)
    if number is None:
        raise OrderNotFound()
    size = paging.PAGE_SIZE
    after = text_id_key(cursor)
    async with database.transaction() as connection:
        order = await listing.get_order(connection, number)
        suborders = await listing.list_suborders(connection, number, SUBORDERS_SHOWN)
        files = await listing.files_page(connection, number, after, size + 1)
    listed = paging.paged(files, size, lambda file: (file.state.value, str(file.id)))
    return page(
        "data_order.html",
        refusal.status if refusal else 200,
        session=session,
        order=order,
        suborders=suborders,
        suborders_shown=SUBORDERS_SHOWN,
        files=listed.items,
        links=page_links(listed, cursor, f"/data-orders/{number}"),
        actions=list(ACTIONS),
        refusal=messages_of(refusal) if refusal else [],
    )
