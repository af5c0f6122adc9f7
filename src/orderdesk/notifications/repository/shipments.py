"""Reading shipments: an order of any type with its notifications (the tracking endpoint and the status
feed's entries), and every notification to one person, organisation or address across orders and
creators (the support look-ups of the API and of the operator console)."""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Select, Table, and_, literal, select, tuple_, union_all
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.core.offload import converted_rows
from orderdesk.notifications.models import Channel, Creator, OrderId, OrderProcessingStatus, OrderType
from orderdesk.notifications.rules.lookup import Addressee, AddresseeKind
from orderdesk.notifications.rules.shipments import (
    DialogNotification,
    RecipientNotification,
    Shipment,
    ShipmentRecipient,
    last_update,
)
from orderdesk.notifications.tables import (
    notification_email,
    notification_order,
    notification_order_chain,
    notification_sms,
)

CHANNEL_TABLES: tuple[tuple[Channel, Table, str], ...] = (
    (Channel.EMAIL, notification_email, "to_address"),
    (Channel.SMS, notification_sms, "mobile_number"),
)
"""Each channel's table and the column of its resolved address, e-mail first."""
_order = notification_order.c


def shipment_columns() -> tuple[Any, ...]:
    """What a shipment needs of its order row (`shipment_of` reads them)."""
    return (
        _order.id,
        _order.creator,
        _order.senders_reference,
        _order.order_type,
        _order.processing_status,
        _order.created_at,
        _order.status_changed_at,
    )


def shipment_of(row: Row[Any], recipients: list[ShipmentRecipient]) -> Shipment:
    """A shipment from a row of `shipment_columns()` and its notifications."""
    return Shipment(
        id=OrderId(row.id),
        creator=Creator(row.creator),
        senders_reference=row.senders_reference,
        order_type=OrderType(row.order_type),
        status=OrderProcessingStatus(row.processing_status),
        last_update=last_update(row.created_at, row.status_changed_at),
        recipients=recipients,
    )


async def get_shipment(connection: AsyncConnection, order_id: UUID, creator: Creator) -> Shipment | None:
    """The creator's order with its notifications; None when there is no such order or it is someone
    else's. The notifications of a large order are converted off the event loop."""
    result = await connection.execute(
        select(*shipment_columns()).where(and_(_order.id == order_id, _order.creator == creator))
    )
    row = result.first()
    if row is None:
        return None
    recipients = await recipients_of(connection, [order_id])
    return shipment_of(row, recipients.get(order_id, []))


async def recipients_of(
    connection: AsyncConnection, order_ids: Sequence[UUID]
) -> dict[UUID, list[ShipmentRecipient]]:
    """The notifications of the orders, both channels in one query: e-mail first, each channel in the
    order of its notification ids."""
    if not order_ids:
        return {}
    ids = sorted(set(order_ids))
    parts = [
        select(
            table.c.notification_order_id.label("order_id"),
            literal(channel.value).label("channel"),
            table.c[address].label("destination"),
            table.c.status,
            table.c.status_changed_at,
            table.c.id,
        ).where(table.c.notification_order_id.in_(ids))
        for channel, table, address in CHANNEL_TABLES
    ]
    both = union_all(*parts).subquery()
    result = await connection.execute(select(both).order_by(both.c.order_id, both.c.channel, both.c.id))
    rows = await converted_rows(result, _recipient_of)
    grouped: dict[UUID, list[ShipmentRecipient]] = defaultdict(list)
    for order_id, recipient in rows:
        grouped[order_id].append(recipient)
    return grouped


def _recipient_of(row: Row[Any]) -> tuple[UUID, ShipmentRecipient]:
    channel = Channel(row.channel)
    return row.order_id, ShipmentRecipient(
        channel=channel,
        destination=row.destination,
        status=channel.status(row.status),
        last_update=row.status_changed_at,
    )


async def list_recipient_notifications(
    connection: AsyncConnection,
    *,
    national_identity_number: str | None = None,
    organization_number: str | None = None,
    start: datetime,
    end: datetime,
    limit: int,
) -> list[RecipientNotification]:
    """The newest `limit` notifications, of every creator, to the person or the organisation (give one)
    whose order was to be sent in [start, end), newest send time first. Each channel is found through
    its index on the recipient column."""
    found: list[RecipientNotification] = []
    for channel, table, address in CHANNEL_TABLES:
        recipient_column = (
            table.c.recipient_national_identity_number
            if national_identity_number is not None
            else table.c.recipient_organization_number
        )
        value = national_identity_number if national_identity_number is not None else organization_number
        result = await connection.execute(
            _found_columns(table, address)
            .join(notification_order, _order.id == table.c.notification_order_id)
            .where(
                and_(
                    recipient_column == value,
                    _order.requested_send_at >= start,
                    _order.requested_send_at < end,
                )
            )
            .order_by(_order.requested_send_at.desc(), table.c.id)
            .limit(limit)
        )
        found.extend(await converted_rows(result, functools.partial(_found, channel)))
    found.sort(key=lambda item: (item.requested_send_time, item.last_update), reverse=True)
    return found[:limit]


FoundKey = tuple[datetime, Channel, UUID]
"""Where a found notification stands, newest first: its order's send time, its channel, its id."""

_ADDRESSEE_COLUMNS: dict[AddresseeKind, dict[Channel, str]] = {
    AddresseeKind.EMAIL: {Channel.EMAIL: "to_address"},
    AddresseeKind.MOBILE_NUMBER: {Channel.SMS: "mobile_number"},
    AddresseeKind.NATIONAL_IDENTITY_NUMBER: dict.fromkeys(Channel, "recipient_national_identity_number"),
    AddresseeKind.ORGANIZATION_NUMBER: dict.fromkeys(Channel, "recipient_organization_number"),
}
"""The column of each channel's table that names an addressee of each kind (all of them indexed)."""


def found_key(item: RecipientNotification) -> FoundKey:
    return item.requested_send_time, item.channel, item.notification_id


async def page_recipient_notifications(
    connection: AsyncConnection, addressee: Addressee, *, after: FoundKey | None, limit: int
) -> list[RecipientNotification]:
    """The first `limit` notifications, of every creator, to the addressee after the key `after`, in
    the order of `found_key`, descending (newest send time first). Each channel is read through its
    index on the addressee's column, each row joining its order by primary key: the cost is that of the
    addressee's notifications, not of the table."""
    found: list[RecipientNotification] = []
    for channel, table, address in CHANNEL_TABLES:
        column = _ADDRESSEE_COLUMNS[addressee.kind].get(channel)
        if column is None:
            continue
        conditions: list[ColumnElement[bool]] = [table.c[column].in_(addressee.values)]
        if after is not None:
            conditions.append(_before(after, channel, table))
        result = await connection.execute(
            _found_columns(table, address)
            .join(notification_order, _order.id == table.c.notification_order_id)
            .where(*conditions)
            .order_by(_order.requested_send_at.desc(), table.c.id.desc())
            .limit(limit)
        )
        found.extend(await converted_rows(result, functools.partial(_found, channel)))
    found.sort(key=found_key, reverse=True)
    return found[:limit]


def _before(key: FoundKey, channel: Channel, table: Table) -> ColumnElement[bool]:
    """The rows of `channel` that come after `key` in descending `found_key` order."""
    send_time, key_channel, notification_id = key
    if channel == key_channel:
        return tuple_(_order.requested_send_at, table.c.id) < tuple_(send_time, notification_id)
    if channel < key_channel:
        return _order.requested_send_at <= send_time
    return _order.requested_send_at < send_time


def _found_columns(table: Table, address: str) -> Select[Any]:
    return select(
        table.c.id.label("notification_id"),
        table.c[address].label("destination"),
        table.c.status,
        table.c.status_changed_at,
        _order.id.label("shipment_id"),
        _order.chain_id,
        _order.creator,
        _order.senders_reference,
        _order.order_type,
        _order.requested_send_at,
        _order.created_at,
    )


def _found(channel: Channel, row: Row[Any]) -> RecipientNotification:
    return RecipientNotification(
        notification_id=row.notification_id,
        # A v1 order is an order of its own; an order of the current generation belongs to its chain.
        order_id=row.chain_id or row.shipment_id,
        shipment_id=OrderId(row.shipment_id),
        creator=Creator(row.creator),
        senders_reference=row.senders_reference,
        order_type=OrderType(row.order_type),
        channel=channel,
        destination=row.destination,
        status=channel.status(row.status),
        requested_send_time=row.requested_send_at,
        created=row.created_at,
        last_update=row.status_changed_at,
    )


async def list_dialog_notifications(
    connection: AsyncConnection,
    creator: Creator,
    *,
    dialog_id: str,
    transmission_id: str | None,
    limit: int,
) -> list[DialogNotification]:
    """The creator's notifications of the chains associated with the dialog (and the transmission, if
    given), oldest send time first, at most `limit`. Chains are found through the dialog index, their
    orders through the chain index, the notifications through the order's."""
    chain = notification_order_chain.c
    matches = [chain.creator == creator, chain.dialog_id == dialog_id]
    if transmission_id is not None:
        matches.append(chain.transmission_id == transmission_id)
    found: list[DialogNotification] = []
    for channel, table, address in CHANNEL_TABLES:
        result = await connection.execute(
            select(
                chain.id.label("chain_id"),
                chain.dialog_id,
                chain.transmission_id,
                _order.id.label("shipment_id"),
                _order.senders_reference,
                _order.order_type,
                _order.resource_id,
                _order.requested_send_at,
                table.c.id.label("notification_id"),
                table.c[address].label("destination"),
                table.c.status,
                table.c.status_changed_at,
            )
            .select_from(
                notification_order_chain.join(notification_order, _order.chain_id == chain.id).join(
                    table, table.c.notification_order_id == _order.id
                )
            )
            .where(and_(*matches))
            .order_by(_order.requested_send_at, table.c.id)
            .limit(limit)
        )
        found.extend(await converted_rows(result, functools.partial(_logged, channel)))
    found.sort(key=lambda item: (item.requested_send_time, item.last_update))
    return found[:limit]


def _logged(channel: Channel, row: Row[Any]) -> DialogNotification:
    return DialogNotification(
        chain_id=row.chain_id,
        shipment_id=OrderId(row.shipment_id),
        notification_id=row.notification_id,
        senders_reference=row.senders_reference,
        dialog_id=row.dialog_id,
        transmission_id=row.transmission_id,
        order_type=OrderType(row.order_type),
        channel=channel,
        destination=row.destination,
        resource_id=row.resource_id,
        status=channel.status(row.status),
        requested_send_time=row.requested_send_at,
        last_update=row.status_changed_at,
    )
