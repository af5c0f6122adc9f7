"""Use cases of notification orders: register, read, find, cancel, and list generated notifications."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.contacts import repository as contacts
from orderdesk.core.db import Database, on_commit
from orderdesk.core.outbound import AddressPolicy
from orderdesk.notifications.errors import CancellationProhibited, OrderNotFound
from orderdesk.notifications.models import (
    Creator,
    NotificationResult,
    NotificationSummary,
    Order,
    OrderId,
    OrderProcessingStatus,
    OrderRequest,
    OrderState,
    Recipient,
    RecipientLookup,
    SendingTimePolicy,
)
from orderdesk.notifications.repository import orders as repository
from orderdesk.notifications.rules.recipients import look_up_recipients
from orderdesk.notifications.rules.validation import validate_order
from orderdesk.observability import metrics

CANCELLATION_DEADLINE = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class OrderDefaults:
    """What an order gets when it leaves the sender out."""

    email_from_address: str
    sms_sender: str


@dataclass(frozen=True, slots=True)
class Registration:
    order_id: OrderId
    recipient_lookup: RecipientLookup | None


async def register_order(
    connection: AsyncConnection,
    creator: Creator,
    request: OrderRequest,
    *,
    now: datetime,
    defaults: OrderDefaults,
    outbound: AddressPolicy,
) -> Registration:
    """Validate and store a new order as Registered: it reads, then writes one row, so the caller
    may run it outside a transaction.

    Recipients given by national identity number or organisation number are looked up in the
    contact register at once, so the caller learns about reserved or unknown recipients; the order is
    registered either way (they are looked up again when it is sent).
    """
    request = _checked(request, now, defaults, outbound)
    recipients, lookup = await look_up(connection, request)
    order = _new_order(creator, request, now, recipients)
    await repository.insert_orders(connection, [order])
    on_commit(connection, lambda: metrics.order_placed("notifications", "notification"))
    return Registration(order_id=order.order_id, recipient_lookup=lookup)


async def place_order(
    database: Database,
    creator: Creator,
    request: OrderRequest,
    *,
    now: datetime,
    defaults: OrderDefaults,
    outbound: AddressPolicy,
) -> Registration:
    """`register_order` as an order intake runs it, outside any transaction: the contact register
    read (when the order names anybody it knows) and the order's one row each on a connection of
    their own, the row on PostgreSQL by the driver itself (repository.insert_order_alone)."""
    request = _checked(request, now, defaults, outbound)
    if needs_look_up(request):
        async with database.read() as connection:
            recipients, lookup = await look_up(connection, request)
    else:
        recipients, lookup = list(request.recipients), None
    order = _new_order(creator, request, now, recipients)
    await repository.insert_order_alone(database, order)
    metrics.order_placed("notifications", "notification")
    return Registration(order_id=order.order_id, recipient_lookup=lookup)


def _checked(
    request: OrderRequest, now: datetime, defaults: OrderDefaults, outbound: AddressPolicy
) -> OrderRequest:
    validate_order(request, now, outbound)
    return with_defaults(request, defaults)


def _new_order(
    creator: Creator, request: OrderRequest, now: datetime, recipients: list[Recipient]
) -> repository.NewOrder:
    return repository.NewOrder.of_request(
        OrderId(uuid.uuid4()),
        request,
        creator=creator,
        created=now,
        send_time=request.requested_send_time or now,
        sending_time_policy=SendingTimePolicy.DAYTIME,
        recipients=recipients,
    )


async def get_order(connection: AsyncConnection, creator: Creator, order_id: UUID) -> Order:
    """The creator's order; OrderNotFound if it does not exist or belongs to someone else."""
    order = await repository.get_order(connection, order_id, creator)
    if order is None:
        raise OrderNotFound()
    return order


async def get_order_state(database: Database, creator: Creator, order_id: UUID) -> OrderState:
    """The creator's order without its recipients (a status read); OrderNotFound as get_order."""
    state = await repository.get_order_state(database, order_id, creator)
    if state is None:
        raise OrderNotFound()
    return state


async def find_orders(connection: AsyncConnection, creator: Creator, senders_reference: str) -> list[Order]:
    return await repository.list_orders_by_senders_reference(connection, creator, senders_reference)


async def cancel_order(
    connection: AsyncConnection, creator: Creator, order_id: UUID, *, now: datetime
) -> Order:
    """Cancel a Registered order whose send time is more than five minutes away.

    Idempotent: an order already cancelled is returned as it is. Raises OrderNotFound, or
    CancellationProhibited once processing has started or the send time is too close.
    """
    cancelled = await repository.cancel_order_if_allowed(
        connection, order_id, creator, now=now, send_time_after=now + CANCELLATION_DEADLINE
    )
    order = await get_order(connection, creator, order_id)
    if cancelled or order.processing_status is OrderProcessingStatus.CANCELLED:
        return order
    raise CancellationProhibited()


async def get_email_summary(
    connection: AsyncConnection, creator: Creator, order_id: UUID
) -> NotificationSummary:
    order = await get_order(connection, creator, order_id)
    notifications = await repository.list_email_notifications(connection, order_id)
    return _summary(order, notifications)


async def get_sms_summary(
    connection: AsyncConnection, creator: Creator, order_id: UUID
) -> NotificationSummary:
    order = await get_order(connection, creator, order_id)
    notifications = await repository.list_sms_notifications(connection, order_id)
    return _summary(order, notifications)


def _summary(order: Order, notifications: list[NotificationResult]) -> NotificationSummary:
    return NotificationSummary(
        order_id=order.id,
        senders_reference=order.senders_reference,
        generated=len(notifications),
        succeeded=sum(1 for notification in notifications if notification.succeeded),
        notifications=notifications,
    )


def with_defaults(request: OrderRequest, defaults: OrderDefaults) -> OrderRequest:
    """The request with the configured sender address and SMS sender where it left them out."""
    email_template = request.email_template
    if email_template is not None and not email_template.from_address:
        email_template = replace(email_template, from_address=defaults.email_from_address)
    sms_template = request.sms_template
    if sms_template is not None and not sms_template.sender_number:
        sms_template = replace(sms_template, sender_number=defaults.sms_sender)
    return replace(request, email_template=email_template, sms_template=sms_template)


def needs_look_up(request: OrderRequest) -> bool:
    """Whether the order names anybody the contact register is asked about."""
    return any(r.national_identity_number or r.organization_number for r in request.recipients)


async def look_up(
    connection: AsyncConnection, request: OrderRequest
) -> tuple[list[Recipient], RecipientLookup | None]:
    """The recipients as the contact register knows them, and who is reserved or unreachable; None
    when the order names nobody the register is asked about."""
    if not needs_look_up(request):
        return list(request.recipients), None
    nins = [r.national_identity_number for r in request.recipients if r.national_identity_number]
    org_numbers = [r.organization_number for r in request.recipients if r.organization_number]
    persons = await contacts.get_persons(connection, nins)
    organizations = await contacts.get_organizations(connection, org_numbers)
    return look_up_recipients(request, persons, organizations)
