"""Notification orders of every creator: the list, filtered by creator, status, sender's reference and
creation time, and an order's page with its request, its status as the API shows it and its
notifications; an admin cancels an order there, through the notification family's `cancel_order`
with the order's own creator, as the API's `PUT …/cancel` does (so with the same rules)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.console import paging, service
from orderdesk.console.api.deps import page, see_other
from orderdesk.console.api.guard import AdminFormDep, OperatorDep
from orderdesk.console.api.inputs import choice, in_cursor, moment, text_filter, text_id_key, time_id_key
from orderdesk.console.api.lists import page_links, read_page
from orderdesk.console.api.refusals import messages_of, refusal_of, refused_as_page
from orderdesk.console.models import Role, Session
from orderdesk.core.db import Database
from orderdesk.core.errors import DomainError
from orderdesk.notifications.errors import OrderNotFound
from orderdesk.notifications.models import (
    ORDER_STATUS_DESCRIPTIONS,
    Channel,
    Creator,
    OrderProcessingStatus,
    lifecycle_status,
)
from orderdesk.notifications.repository.browse import OrderFilter
from orderdesk.notifications.service import browse
from orderdesk.notifications.service import orders as notification_orders
from orderdesk.web.deps import DatabaseDep, NowDep
from orderdesk.web.log_context import OrderLoggedRoute

router = APIRouter(prefix="/console", route_class=OrderLoggedRoute)

MAX_CREATOR_LENGTH = 100
"""As the order table's column (the longest organisation a token may name)."""
MAX_REFERENCE_LENGTH = 500
CANCELLED = "cancelled"
"""The query parameter of the page an admin is sent back to once the order is cancelled."""


@router.get("/orders")
async def get_orders(
    session: OperatorDep,
    database: DatabaseDep,
    creator: str = "",
    status: str = "",
    reference: str = "",
    created_from: str = "",
    created_before: str = "",
    cursor: str = "",
) -> Response:
    """Every creator's orders (v1 orders and the current generation's main, reminder, instant and
    composed ones), newest first by creation time; of one creator, one stored status, one sender's
    reference, created in [created_from, created_before) (UTC when no zone is given)."""
    with refused_as_page(session):
        where = OrderFilter(
            creator=Creator(name) if (name := text_filter(creator, "creator", MAX_CREATOR_LENGTH)) else None,
            status=choice(status, list(OrderProcessingStatus), "status"),
            senders_reference=text_filter(reference, "reference", MAX_REFERENCE_LENGTH),
            created_from=moment(created_from, "created_from"),
            created_before=moment(created_before, "created_before"),
        )
        after = time_id_key(cursor)
    listed = await read_page(
        database,
        lambda connection, limit: browse.list_orders(connection, where, after=after, limit=limit),
        lambda order: (order.created, str(order.id)),
    )
    filters = {
        "creator": where.creator,
        "status": where.status and where.status.value,
        "reference": where.senders_reference,
        "created_from": created_from.strip(),
        "created_before": created_before.strip(),
    }
    return page(
        "orders.html",
        session=session,
        orders=listed.items,
        statuses=list(OrderProcessingStatus),
        status_filter=where.status,
        filters=filters,
        links=page_links(listed, cursor, "/orders", **filters),
    )


@router.get("/orders/{order_id}")
async def get_order(
    order_id: str, session: OperatorDep, database: DatabaseDep, cursor: str = "", cancelled: str = ""
) -> Response:
    """The order's request, its status as the API shows it, and its notifications (e-mails, then SMS)
    a page at a time; 404 for an id that names no order."""
    with refused_as_page(session):
        return await _order_page(database, session, order_id, cursor, cancelled=bool(cancelled))


@router.post("/orders/{order_id}/cancel")
async def post_cancel_order(
    order_id: str, form: AdminFormDep, database: DatabaseDep, now: NowDep
) -> Response:
    """303 back to the order's page once cancelled (its audit entry written in the same transaction;
    an order already cancelled stays so, with no new entry); the page again with the refusal's message
    and status when the API's rules refuse (409: processing has started or the send time is less than
    five minutes away)."""
    with refused_as_page(form.session):
        identifier = _order_id(order_id)

        async def cancel(connection: AsyncConnection) -> None:
            order = (await browse.get_order(connection, identifier)).state
            if order.processing_status is OrderProcessingStatus.CANCELLED:
                return
            await notification_orders.cancel_order(connection, order.creator, identifier, now=now)
            target = ("notification_order", str(identifier))
            detail: dict[str, object] = {"creator": order.creator}
            await service.record_action(connection, form.session, "cancel", target, now, detail)

        refusal = await refusal_of(database, cancel)
        if refusal is not None:
            return await _order_page(database, form.session, order_id, "", refusal=refusal)
    return see_other(f"/orders/{identifier}?{CANCELLED}=1")


def _order_id(text: str) -> UUID:
    """The order a path names; OrderNotFound (a 404 page) when it is no UUID."""
    try:
        return UUID(text)
    except ValueError:
        raise OrderNotFound() from None


async def _order_page(
    database: Database,
    session: Session,
    order_id: str,
    cursor: str,
    *,
    cancelled: bool = False,
    refusal: DomainError | None = None,
) -> Response:
    identifier = _order_id(order_id)
    key = text_id_key(cursor)
    after = None if key is None else (in_cursor(Channel, key[0]), key[1])
    size = paging.PAGE_SIZE
    async with database.read() as connection:
        detail = await browse.get_order(connection, identifier)
        found = await browse.list_order_notifications(connection, identifier, after=after, limit=size + 1)
    listed = paging.paged(
        found, size, lambda notification: (notification.channel.value, str(notification.id))
    )
    order = detail.state
    status = order.processing_status
    return page(
        "order.html",
        refusal.status if refusal else 200,
        session=session,
        detail=detail,
        order=order,
        v1_status=status.v1.value,
        lifecycle_status=lifecycle_status(status),
        status_description=ORDER_STATUS_DESCRIPTIONS[status],
        can_cancel=session.operator.role is Role.ADMIN and status is OrderProcessingStatus.REGISTERED,
        refusal=messages_of(refusal) if refusal else [],
        cancelled=cancelled and status is OrderProcessingStatus.CANCELLED,
        notifications=listed.items,
        links=page_links(listed, cursor or None, f"/orders/{identifier}"),
    )
