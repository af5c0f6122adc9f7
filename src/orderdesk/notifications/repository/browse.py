"""Every creator's orders and an order's notifications, for the people who run orderdesk (the operator
console): lists read along an index a page at a time, each page after the key of the last row seen
(never OFFSET, never a sort of a whole table)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Text, cast, func, select, tuple_
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.notifications.models import (
    Channel,
    ChannelSummary,
    Creator,
    EmailTemplate,
    NotificationChannel,
    NotificationStatus,
    OrderId,
    OrderProcessingStatus,
    OrderState,
    OrderType,
    SendingTimePolicy,
    SmsTemplate,
)
from orderdesk.notifications.repository.orders import (
    email_template_from_json,
    order_state_of,
    sms_template_from_json,
)
from orderdesk.notifications.repository.shipments import CHANNEL_TABLES
from orderdesk.notifications.tables import notification_order

OrderKey = tuple[datetime, UUID]
"""Where an order stands in the list: its creation time and id (newest first)."""
NotificationKey = tuple[Channel, UUID]
"""Where a notification stands among its order's: e-mail before SMS, each by id."""

_order = notification_order.c


@dataclass(frozen=True, slots=True)
class OrderFilter:
    """Which orders a list holds; None (or empty) leaves a criterion out. The creation time is in
    [created_from, created_before)."""

    creator: Creator | None = None
    status: OrderProcessingStatus | None = None
    senders_reference: str | None = None
    created_from: datetime | None = None
    created_before: datetime | None = None


@dataclass(frozen=True, slots=True)
class ListedOrder:
    """An order as a list shows it: no recipients, no templates (they are as large as the order)."""

    id: OrderId
    creator: Creator
    senders_reference: str | None
    order_type: OrderType
    chain_id: UUID | None
    """The chain of an order of the current API generation (main, reminder, instant, composed); None
    for a v1 order."""
    processing_status: OrderProcessingStatus
    notification_channel: NotificationChannel
    requested_send_time: datetime
    created: datetime
    email: ChannelSummary
    sms: ChannelSummary

    @property
    def key(self) -> OrderKey:
        return self.created, self.id


@dataclass(frozen=True, slots=True)
class RecipientSummary:
    """An order's recipient list told without reading it into Python (it holds up to 100 000 people):
    how many, and which of the request's recipient fields occur in it."""

    count: int
    fields: tuple[str, ...]
    """Of RECIPIENT_FIELDS, in that order."""


@dataclass(frozen=True, slots=True)
class OrderDetail:
    """An order of any creator with what its request was, its recipients summed up."""

    state: OrderState
    order_type: OrderType
    chain_id: UUID | None
    """None for a v1 order."""
    sending_time_policy: SendingTimePolicy
    email_template: EmailTemplate | None
    sms_template: SmsTemplate | None
    recipients: RecipientSummary


@dataclass(frozen=True, slots=True)
class OrderNotification:
    """One notification of an order: where it went, for whom, and how it stands."""

    id: UUID
    channel: Channel
    destination: str | None
    national_identity_number: str | None
    organization_number: str | None
    status: NotificationStatus
    status_changed_at: datetime

    @property
    def key(self) -> NotificationKey:
        return self.channel, self.id


_LISTED_COLUMNS = (
    _order.id,
    _order.creator,
    _order.senders_reference,
    _order.order_type,
    _order.chain_id,
    _order.processing_status,
    _order.notification_channel,
    _order.requested_send_at,
    _order.created_at,
    _order.email_generated,
    _order.email_succeeded,
    _order.sms_generated,
    _order.sms_succeeded,
)


def _matching(where: OrderFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if where.creator is not None:
        conditions.append(_order.creator == where.creator)
    if where.status is not None:
        conditions.append(_order.processing_status == where.status.value)
    if where.senders_reference is not None:
        conditions.append(_order.senders_reference == where.senders_reference)
    if where.created_from is not None:
        conditions.append(_order.created_at >= where.created_from)
    if where.created_before is not None:
        conditions.append(_order.created_at < where.created_before)
    return conditions


async def list_orders(
    connection: AsyncConnection, where: OrderFilter, *, after: OrderKey | None, limit: int
) -> list[ListedOrder]:
    """The first `limit` orders matching `where` after the key `after`, newest first: one backward
    range read on the (…, created_at, id) index of the filter given."""
    conditions = _matching(where)
    if after is not None:
        conditions.append(tuple_(_order.created_at, _order.id) < tuple_(*after))
    result = await connection.execute(
        select(*_LISTED_COLUMNS)
        .where(*conditions)
        .order_by(_order.created_at.desc(), _order.id.desc())
        .limit(limit)
    )
    return [_listed(row) for row in result]


def _listed(row: Row[*tuple[Any, ...]]) -> ListedOrder:
    return ListedOrder(
        id=OrderId(row.id),
        creator=Creator(row.creator),
        senders_reference=row.senders_reference,
        order_type=OrderType(row.order_type),
        chain_id=row.chain_id,
        processing_status=OrderProcessingStatus(row.processing_status),
        notification_channel=NotificationChannel(row.notification_channel),
        requested_send_time=row.requested_send_at,
        created=row.created_at,
        email=ChannelSummary(generated=row.email_generated, succeeded=row.email_succeeded),
        sms=ChannelSummary(generated=row.sms_generated, succeeded=row.sms_succeeded),
    )


RECIPIENT_FIELDS = ("emailAddress", "mobileNumber", "nationalIdentityNumber", "organizationNumber")
"""The fields that name a recipient in a stored recipient list (`Recipient.to_json`)."""


async def get_order_detail(connection: AsyncConnection, order_id: UUID) -> OrderDetail | None:
    """The order, whoever created it: one primary-key lookup whose recipient list the database only
    counts and searches for each field's quoted name, which occurs in the JSON text only as a key
    (inside a string value a quote is escaped). For 100 000 recipients that is ~50 ms on PostgreSQL;
    reading them into Python took a second."""
    order = (
        select(
            *(column for column in notification_order.c if column.name != "recipients"),
            func.json_array_length(_order.recipients).label("recipient_count"),
            cast(_order.recipients, Text).label("recipients_text"),
        )
        .where(_order.id == order_id)
        # Not merged into the outer query: PostgreSQL then reads (and decompresses) the text once,
        # not once per field searched for.
        .offset(0)
        .subquery()
    )
    position = func.instr if connection.dialect.name == "sqlite" else func.strpos
    found = [(position(order.c.recipients_text, f'"{name}"') > 0).label(name) for name in RECIPIENT_FIELDS]
    row = (
        await connection.execute(
            select(*(column for column in order.c if column.name != "recipients_text"), *found)
        )
    ).first()
    if row is None:
        return None
    return OrderDetail(
        state=order_state_of(row._mapping),
        order_type=OrderType(row.order_type),
        chain_id=row.chain_id,
        sending_time_policy=SendingTimePolicy(row.sending_time_policy),
        email_template=email_template_from_json(row.email_template),
        sms_template=sms_template_from_json(row.sms_template),
        recipients=RecipientSummary(
            count=row.recipient_count,
            fields=tuple(name for name in RECIPIENT_FIELDS if row._mapping[name]),
        ),
    )


async def list_order_notifications(
    connection: AsyncConnection, order_id: UUID, *, after: NotificationKey | None, limit: int
) -> list[OrderNotification]:
    """The order's first `limit` notifications after the key `after`: its e-mails by id, then its SMS
    by id, each channel a range read on its (order id, id) index."""
    found: list[OrderNotification] = []
    for channel, table, address in CHANNEL_TABLES:
        if after is not None and channel < after[0]:
            continue
        conditions: list[ColumnElement[bool]] = [table.c.notification_order_id == order_id]
        if after is not None and channel == after[0]:
            conditions.append(table.c.id > after[1])
        result = await connection.execute(
            select(
                table.c.id,
                table.c[address].label("destination"),
                table.c.recipient_national_identity_number,
                table.c.recipient_organization_number,
                table.c.status,
                table.c.status_changed_at,
            )
            .where(*conditions)
            .order_by(table.c.id)
            .limit(limit - len(found))
        )
        found.extend(_notification(channel, row) for row in result)
        if len(found) >= limit:
            break
    return found


def _notification(channel: Channel, row: Row[*tuple[Any, ...]]) -> OrderNotification:
    return OrderNotification(
        id=row.id,
        channel=channel,
        destination=row.destination,
        national_identity_number=row.recipient_national_identity_number,
        organization_number=row.recipient_organization_number,
        status=channel.status(row.status),
        status_changed_at=row.status_changed_at,
    )
