"""The console's notification order pages: every creator's orders (filtered, newest first, a page at a
time), one order with its request, status and notifications, and its cancellation by an admin.

Cancelling calls the notification family's `cancel_order`, as the API's `PUT …/cancel` does, with the
same rules; its refusal (the API's 409) is the order page again, answered 409 with the reason. A
cancellation goes to the audit trail in its own transaction."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import Response

from orderdesk.console import paging, service
from orderdesk.console.api import query
from orderdesk.console.api.deps import page, see_other
from orderdesk.console.api.guard import AdminFormDep, OperatorDep, bad_request, not_found
from orderdesk.console.models import Role, Session
from orderdesk.core.db import Database
from orderdesk.core.errors import InvalidInput
from orderdesk.notifications.errors import CancellationProhibited, OrderNotFound
from orderdesk.notifications.models import (
    ORDER_STATUS_DESCRIPTIONS,
    Channel,
    Creator,
    OrderProcessingStatus,
    lifecycle_status,
)
from orderdesk.notifications.repository.browse import NotificationKey, OrderFilter, OrderKey
from orderdesk.notifications.service import browse
from orderdesk.notifications.service import orders as notification_orders
from orderdesk.web.deps import DatabaseDep, NowDep

router = APIRouter(prefix="/console")

AUDIT_TARGET = "notification_order"
MAX_CREATOR_LENGTH = 100
"""As the order table's column (and the longest organisation a token names)."""
MAX_REFERENCE_LENGTH = 500
_NO_SUCH_ORDER = "No notification order has this id."


@router.get("/orders")
async def get_orders(
    session: OperatorDep,
    database: DatabaseDep,
    creator: str | None = None,
    status: str | None = None,
    reference: str | None = None,
    created_from: str | None = None,
    created_before: str | None = None,
    cursor: str | None = None,
) -> Response:
    """Every creator's orders, newest first by creation time, filtered by creator, stored status,
    sender's reference and creation time in [created_from, created_before); 400 naming a bad one."""
    given = {
        "creator": creator,
        "status": status,
        "reference": reference,
        "created_from": created_from,
        "created_before": created_before,
    }
    try:
        where = OrderFilter(
            creator=_creator(query.text("creator", creator, MAX_CREATOR_LENGTH)),
            status=query.choice("status", status, OrderProcessingStatus),
            senders_reference=query.text("reference", reference, MAX_REFERENCE_LENGTH),
            created_from=query.moment("created_from", created_from),
            created_before=query.moment("created_before", created_before),
        )
        after = query.cursor_key(cursor, (datetime, str), _order_key)
    except InvalidInput as error:
        return bad_request(error, session)
    async with database.read() as connection:
        rows = await browse.list_orders(connection, where, after=after, limit=paging.PAGE_SIZE + 1)
    found = paging.paged(rows, paging.PAGE_SIZE, lambda order: (order.created, str(order.id)))
    return page(
        "orders.html",
        session=session,
        orders=found.items,
        given=given,
        statuses=list(OrderProcessingStatus),
        pager=query.pager("/orders", given, cursor=cursor, next_cursor=found.next_cursor),
    )


def _creator(value: str | None) -> Creator | None:
    return None if value is None else Creator(value)


def _order_key(key: paging.Key) -> OrderKey:
    created, order_id = key
    if not isinstance(created, datetime):
        raise ValueError(created)
    return created, query.uuid_of(order_id)


def _notification_key(key: paging.Key) -> NotificationKey:
    channel, notification_id = key
    return Channel(str(channel)), query.uuid_of(notification_id)


def _order_id(text: str) -> UUID | None:
    try:
        return UUID(text)
    except ValueError:
        return None


@router.get("/orders/{order_id}")
async def get_order(
    order_id: str,
    session: OperatorDep,
    database: DatabaseDep,
    cursor: str | None = None,
    cancelled: str | None = None,
) -> Response:
    """The order's request, its status as the API shows it, and its notifications a page at a time;
    404 for an id that names no order."""
    identifier = _order_id(order_id)
    if identifier is None:
        return not_found(_NO_SUCH_ORDER, session)
    try:
        after = query.cursor_key(cursor, (str, str), _notification_key)
    except InvalidInput as error:
        return bad_request(error, session)
    return await _order_page(database, session, identifier, after, cursor, cancelled=cancelled is not None)


@router.post("/orders/{order_id}/cancel")
async def post_cancel_order(
    order_id: str, form: AdminFormDep, database: DatabaseDep, now: NowDep
) -> Response:
    """Cancel the order as its creator could through the API: 303 back to its page once cancelled (or
    when it already was); its page again with 409 and the reason when the rules refuse; 404 for no
    such order; 403 for a viewer or a form without its CSRF token (guard.admin_form)."""
    identifier = _order_id(order_id)
    if identifier is None:
        return not_found(_NO_SUCH_ORDER, form.session)
    try:
        async with database.transaction() as connection:
            order = (await browse.get_order(connection, identifier)).state
            if order.processing_status is not OrderProcessingStatus.CANCELLED:
                await notification_orders.cancel_order(connection, order.creator, identifier, now=now)
                target = (AUDIT_TARGET, str(identifier))
                detail_of_action: dict[str, object] = {"creator": order.creator}
                await service.record_action(connection, form.session, "cancel", target, now, detail_of_action)
    except OrderNotFound:
        return not_found(_NO_SUCH_ORDER, form.session)
    except CancellationProhibited as error:
        return await _order_page(
            database, form.session, identifier, None, None, status=409, message=error.message
        )
    return see_other(f"/orders/{identifier}?cancelled=1")


async def _order_page(
    database: Database,
    session: Session,
    order_id: UUID,
    after: NotificationKey | None,
    cursor: str | None,
    *,
    cancelled: bool = False,
    status: int = 200,
    message: str | None = None,
) -> Response:
    try:
        async with database.read() as connection:
            detail = await browse.get_order(connection, order_id)
            rows = await browse.list_order_notifications(
                connection, order_id, after=after, limit=paging.PAGE_SIZE + 1
            )
    except OrderNotFound:
        return not_found(_NO_SUCH_ORDER, session)
    order = detail.state
    found = paging.paged(rows, paging.PAGE_SIZE, lambda n: (n.channel.value, str(n.id)))
    done = cancelled and order.processing_status is OrderProcessingStatus.CANCELLED
    return page(
        "order.html",
        status,
        session=session,
        title=f"Notification order {order.id}",
        detail=detail,
        order=order,
        v1_status=order.processing_status.v1.value,
        status_description=ORDER_STATUS_DESCRIPTIONS[order.processing_status],
        lifecycle=lifecycle_status(order.processing_status),
        can_cancel=session.operator.role is Role.ADMIN
        and order.processing_status is OrderProcessingStatus.REGISTERED,
        csrf_token=session.csrf_token,
        message=message,
        notice="The order was cancelled." if done else None,
        notifications=found.items,
        pager=query.pager(f"/orders/{order.id}", {}, cursor=cursor, next_cursor=found.next_cursor),
    )
