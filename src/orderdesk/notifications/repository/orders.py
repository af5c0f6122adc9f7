"""The queries of the notification family; the caller owns the transaction, except for the status
read, which runs outside any (Database.fetch_one)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson
from sqlalchemy import and_, bindparam, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.core import topics
from orderdesk.core.db import Database, driver_fetchrow
from orderdesk.core.offload import converted_rows, off_loop_if_large
from orderdesk.core.wakeup import after_commit, announced, committed_by_statement
from orderdesk.notifications.models import (
    Attachment,
    ChannelSummary,
    Creator,
    EmailContentType,
    EmailStatus,
    EmailTemplate,
    NotificationChannel,
    NotificationResult,
    Order,
    OrderId,
    OrderProcessingStatus,
    OrderRequest,
    OrderState,
    OrderType,
    Recipient,
    SendingTimePolicy,
    SmsStatus,
    SmsTemplate,
)
from orderdesk.notifications.repository.webhook_events import OrderStatusChange, record_status_changes
from orderdesk.notifications.tables import (
    notification_email,
    notification_order,
    notification_sms,
)

ORDER_COLUMNS = (
    "id",
    "creator",
    "senders_reference",
    "requested_send_at",
    "created_at",
    "notification_channel",
    "sending_time_policy",
    "ignore_reservation",
    "resource_id",
    "resource_action",
    "condition_endpoint",
    "recipients",
    "email_template",
    "sms_template",
    "processing_status",
    "status_changed_at",
    "due_at",
    "order_type",
    "chain_id",
)
"""The columns an intake writes, bound by name: an INSERT inside a CTE gets its values only from
bind parameters it names, not from the keys given at execution as a plain INSERT does."""
_INSERT_ORDER = notification_order.insert().values({name: bindparam(name) for name in ORDER_COLUMNS})
"""Built once with the values given at execution: `insert().values(...)` per order was a tenth of an
order intake's CPU time (building the statement and its cache key)."""
_INSERT_ORDER_ANNOUNCED = announced(_INSERT_ORDER, topics.NOTIFICATION_ORDERS)
"""The same INSERT on PostgreSQL, telling the workers of every process when it commits."""


@dataclass(frozen=True, slots=True)
class NewOrder:
    """An order to be stored as Registered."""

    order_id: OrderId
    creator: Creator
    created: datetime
    requested_send_time: datetime
    channel: NotificationChannel
    sending_time_policy: SendingTimePolicy
    recipients: list[Recipient]
    email_template: EmailTemplate | None
    sms_template: SmsTemplate | None
    senders_reference: str | None
    condition_endpoint: str | None
    ignore_reservation: bool | None
    resource_id: str | None
    resource_action: str | None
    order_type: OrderType = OrderType.NOTIFICATION
    chain_id: UUID | None = None

    @classmethod
    def of_request(
        cls,
        order_id: OrderId,
        request: OrderRequest,
        *,
        creator: Creator,
        created: datetime,
        send_time: datetime,
        sending_time_policy: SendingTimePolicy,
        recipients: list[Recipient],
        order_type: OrderType = OrderType.NOTIFICATION,
        chain_id: UUID | None = None,
    ) -> NewOrder:
        """The order `request` asks for, with its recipients as the contact register knows them."""
        return cls(
            order_id=order_id,
            creator=creator,
            created=created,
            requested_send_time=send_time,
            channel=request.notification_channel,
            sending_time_policy=sending_time_policy,
            recipients=recipients,
            email_template=request.email_template,
            sms_template=request.sms_template,
            senders_reference=request.senders_reference,
            condition_endpoint=request.condition_endpoint,
            ignore_reservation=request.ignore_reservation,
            resource_id=request.resource_id,
            resource_action=request.resource_action,
            order_type=order_type,
            chain_id=chain_id,
        )

    def row(self) -> dict[str, Any]:
        return {
            "id": self.order_id,
            "creator": self.creator,
            "senders_reference": self.senders_reference,
            "requested_send_at": self.requested_send_time,
            "created_at": self.created,
            "notification_channel": self.channel.value,
            "sending_time_policy": self.sending_time_policy.value,
            "ignore_reservation": self.ignore_reservation,
            "resource_id": self.resource_id,
            "resource_action": self.resource_action,
            "condition_endpoint": self.condition_endpoint,
            "recipients": [recipient.to_json() for recipient in self.recipients],
            "email_template": _email_template_json(self.email_template),
            "sms_template": _sms_template_json(self.sms_template),
            "processing_status": OrderProcessingStatus.REGISTERED.value,
            "status_changed_at": self.created,
            "due_at": self.requested_send_time,
            "order_type": self.order_type.value,
            "chain_id": self.chain_id,
        }


_JSON_COLUMNS = ("recipients", "email_template", "sms_template")


async def insert_orders(connection: AsyncConnection, orders: Sequence[NewOrder]) -> None:
    """Store the orders as Registered, in one statement, and wake the workers once they commit: on
    PostgreSQL the same statement tells other processes (one round trip).

    One order on PostgreSQL, as the first statement of a connection outside any transaction (an
    order intake's autocommitted write), is run by the driver itself: SQLAlchemy's execution of it
    was a tenth of the intake's instructions. Inside a transaction SQLAlchemy runs it, so that it
    joins the transaction SQLAlchemy begins on the connection."""
    postgres = connection.dialect.name == "postgresql"
    if postgres and len(orders) == 1 and not connection.in_transaction():
        await driver_fetchrow(connection, _INSERT_ORDER_ANNOUNCED, _driver_row(orders[0]))
    else:
        rows = [order.row() for order in orders]
        await connection.execute(
            _INSERT_ORDER_ANNOUNCED if postgres else _INSERT_ORDER, rows[0] if len(rows) == 1 else rows
        )
    await after_commit(connection, topics.NOTIFICATION_ORDERS, notified_by_statement=postgres)


async def insert_order_alone(database: Database, order: NewOrder) -> None:
    """Store one order as Registered outside any transaction (an order intake), and wake the workers.

    On PostgreSQL one statement the driver runs on a lent connection (Database.fetch_one), which
    also tells other processes: a SQLAlchemy connection's checkout and hand-over were a fifth of an
    intake's CPU time. Elsewhere (SQLite, a pool too small for a lane) as `insert_orders`."""
    if database.lane is None:
        async with database.atomic_write() as connection:
            await insert_orders(connection, [order])
        return
    await database.fetch_one(_INSERT_ORDER_ANNOUNCED, _driver_row(order))
    committed_by_statement(database, topics.NOTIFICATION_ORDERS)


def _driver_row(order: NewOrder) -> dict[str, Any]:
    """The order's row as asyncpg takes it: JSON as text (orjson writes ids and aware times as
    PostgreSQL reads them)."""
    row = order.row()
    for name in _JSON_COLUMNS:
        if row[name] is not None:
            row[name] = orjson.dumps(row[name]).decode()
    return row


async def get_order(connection: AsyncConnection, order_id: UUID, creator: Creator) -> Order | None:
    """One primary-key lookup; another creator's order is as absent as a missing one."""
    result = await connection.execute(
        select(notification_order).where(
            and_(notification_order.c.id == order_id, notification_order.c.creator == creator)
        )
    )
    row = result.first()
    if row is None:
        return None
    return await off_loop_if_large(len(row.recipients), lambda: order_from_row(row))


_STATE_FIELDS = (
    "id",
    "creator",
    "senders_reference",
    "requested_send_at",
    "created_at",
    "notification_channel",
    "ignore_reservation",
    "resource_id",
    "resource_action",
    "condition_endpoint",
    "processing_status",
    "status_changed_at",
    "email_generated",
    "email_succeeded",
    "sms_generated",
    "sms_succeeded",
)
_STATE_COLUMNS = [notification_order.c[name] for name in _STATE_FIELDS]
"""What a status read needs: the recipient list (as large as the order), the templates and the
pipeline's own bookkeeping stay unread."""


_STATE_OF_ORDER = select(*_STATE_COLUMNS).where(
    notification_order.c.id == bindparam("order_id"),
    notification_order.c.creator == bindparam("creator"),
)
"""Built once, so compiled once (Database.fetch_one); building it again on every status read was a
tenth of the read's time."""


async def get_order_state(database: Database, order_id: UUID, creator: Creator) -> OrderState | None:
    """The order's status and counters, one primary-key lookup that leaves the recipient list
    (as large as the order) unread; outside any transaction, the hottest read there is."""
    row = await database.fetch_one(_STATE_OF_ORDER, {"order_id": order_id, "creator": creator})
    return order_state_of(row) if row is not None else None


async def list_orders_by_senders_reference(
    connection: AsyncConnection, creator: Creator, senders_reference: str
) -> list[Order]:
    result = await connection.execute(
        select(notification_order)
        .where(
            and_(
                notification_order.c.creator == creator,
                notification_order.c.senders_reference == senders_reference,
            )
        )
        .order_by(notification_order.c.created_at, notification_order.c.id)
    )
    rows = result.all()
    return await off_loop_if_large(
        sum(len(row.recipients) for row in rows), lambda: [order_from_row(row) for row in rows]
    )


async def cancel_order_if_allowed(
    connection: AsyncConnection,
    order_id: UUID,
    creator: Creator,
    *,
    now: datetime,
    send_time_after: datetime,
) -> bool:
    """Move a Registered order whose send time is after `send_time_after` to Cancelled.

    The status and send-time guards are in the UPDATE itself, so a worker claiming the order at the
    same moment and this cancellation cannot both win, on PostgreSQL and on SQLite alike.
    """
    result = await connection.execute(
        update(notification_order)
        .where(
            and_(
                notification_order.c.id == order_id,
                notification_order.c.creator == creator,
                notification_order.c.processing_status == OrderProcessingStatus.REGISTERED.value,
                notification_order.c.requested_send_at > send_time_after,
            )
        )
        .values(processing_status=OrderProcessingStatus.CANCELLED.value, status_changed_at=now)
    )
    if result.rowcount != 1:
        return False
    await record_status_changes(
        connection,
        [OrderStatusChange(order_id, OrderProcessingStatus.REGISTERED, OrderProcessingStatus.CANCELLED)],
        now=now,
        creators=[creator],
    )
    return True


async def list_email_notifications(connection: AsyncConnection, order_id: UUID) -> list[NotificationResult]:
    """Every e-mail notification of the order (as many as its recipients: converted off the loop when
    they are many)."""
    table = notification_email
    result = await connection.execute(
        select(table).where(table.c.notification_order_id == order_id).order_by(table.c.id)
    )
    return await converted_rows(result, _email_result)


def _email_result(row: Row[Any]) -> NotificationResult:
    return NotificationResult(
        id=row.id,
        recipient=Recipient(
            email_address=row.to_address,
            organization_number=row.recipient_organization_number,
            national_identity_number=row.recipient_national_identity_number,
        ),
        status=row.status,
        status_changed_at=row.status_changed_at,
        succeeded=EmailStatus(row.status).counts_as_succeeded,
    )


async def list_sms_notifications(connection: AsyncConnection, order_id: UUID) -> list[NotificationResult]:
    """Every SMS notification of the order, converted off the loop as the e-mail ones."""
    table = notification_sms
    result = await connection.execute(
        select(table).where(table.c.notification_order_id == order_id).order_by(table.c.id)
    )
    return await converted_rows(result, _sms_result)


def _sms_result(row: Row[Any]) -> NotificationResult:
    return NotificationResult(
        id=row.id,
        recipient=Recipient(
            mobile_number=row.mobile_number,
            organization_number=row.recipient_organization_number,
            national_identity_number=row.recipient_national_identity_number,
        ),
        status=row.status,
        status_changed_at=row.status_changed_at,
        succeeded=SmsStatus(row.status).counts_as_succeeded,
    )


def _email_template_json(template: EmailTemplate | None) -> dict[str, Any] | None:
    if template is None:
        return None
    data: dict[str, Any] = {
        "fromAddress": template.from_address,
        "subject": template.subject,
        "body": template.body,
        "contentType": template.content_type.value,
    }
    if template.attachments:
        data["attachments"] = [
            {"filename": item.filename, "mimeType": item.mime_type, "sasUrl": item.url}
            for item in template.attachments
        ]
    return data


def _sms_template_json(template: SmsTemplate | None) -> dict[str, Any] | None:
    if template is None:
        return None
    return {"senderNumber": template.sender_number, "body": template.body}


def order_state_of(row: Mapping[Any, Any]) -> OrderState:
    """An order's state from a row (by column name) holding at least the columns of a status read."""
    return OrderState(**_state_fields(row))


def _state_fields(row: Mapping[Any, Any]) -> dict[str, Any]:
    """The fields an Order shares with its OrderState."""
    return {
        "id": OrderId(row["id"]),
        "creator": Creator(row["creator"]),
        "senders_reference": row["senders_reference"],
        "requested_send_time": row["requested_send_at"],
        "created": row["created_at"],
        "notification_channel": NotificationChannel(row["notification_channel"]),
        "ignore_reservation": row["ignore_reservation"],
        "resource_id": row["resource_id"],
        "resource_action": row["resource_action"],
        "condition_endpoint": row["condition_endpoint"],
        "processing_status": OrderProcessingStatus(row["processing_status"]),
        "status_changed_at": row["status_changed_at"],
        "email": ChannelSummary(generated=row["email_generated"], succeeded=row["email_succeeded"]),
        "sms": ChannelSummary(generated=row["sms_generated"], succeeded=row["sms_succeeded"]),
    }


def order_from_row(row: Row[Any]) -> Order:
    return Order(
        **_state_fields(row._mapping),
        sending_time_policy=SendingTimePolicy(row.sending_time_policy),
        recipients=[Recipient.from_json(item) for item in row.recipients],
        email_template=email_template_from_json(row.email_template),
        sms_template=sms_template_from_json(row.sms_template),
        order_type=OrderType(row.order_type),
    )


def email_template_from_json(data: dict[str, Any] | None) -> EmailTemplate | None:
    if not data:
        return None
    return EmailTemplate(
        from_address=data["fromAddress"],
        subject=data["subject"],
        body=data["body"],
        content_type=EmailContentType(data["contentType"]),
        attachments=tuple(
            Attachment(filename=item["filename"], mime_type=item["mimeType"], url=item["sasUrl"])
            for item in data.get("attachments", ())
        ),
    )


def sms_template_from_json(data: dict[str, Any] | None) -> SmsTemplate | None:
    if not data:
        return None
    return SmsTemplate(sender_number=data["senderNumber"], body=data["body"])
