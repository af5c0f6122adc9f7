"""The statements of instant orders: claiming the idempotency id together with the order and its one
notification (held as Sending under a lease while the provider is called), reading back how an earlier
request under the same id stands, and discarding a claim whose send failed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import and_, delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.notifications.models import (
    ChainKind,
    Channel,
    Creator,
    EmailTemplate,
    NotificationChannel,
    NotificationStatus,
    OrderId,
    OrderProcessingStatus,
    OrderType,
    Recipient,
    SendingTimePolicy,
    SmsTemplate,
)
from orderdesk.notifications.repository import chains
from orderdesk.notifications.repository.orders import NewOrder
from orderdesk.notifications.repository.transitions import TABLES
from orderdesk.notifications.tables import (
    notification_email,
    notification_order,
    notification_order_chain,
    notification_sms,
)


@dataclass(frozen=True, slots=True)
class PendingInstant:
    """An instant order as it is claimed, before its provider has answered."""

    chain_id: UUID
    order_id: OrderId
    notification_id: UUID
    creator: Creator
    idempotency_id: str
    receipt: dict[str, Any]
    created: datetime
    senders_reference: str | None
    channel: Channel
    address: str
    email_template: EmailTemplate | None
    sms_template: SmsTemplate | None
    expires_at: datetime
    lease_token: UUID
    lease_ends: datetime
    segments: int | None


@dataclass(frozen=True, slots=True)
class InstantState:
    """How an instant order claimed earlier under an idempotency id stands."""

    receipt: dict[str, Any]
    status: NotificationStatus | None
    """Its notification's status; None if it has none (not an order this module stored)."""
    lease_ends: datetime | None
    """While it is Sending: when the claim of the request sending it runs out."""

    @property
    def in_flight(self) -> bool:
        return self.status is not None and self.status.value == "Sending"


async def insert_pending(connection: AsyncConnection, pending: PendingInstant) -> bool:
    """Claim the idempotency id and store the order (Processed) and its notification (Sending, leased
    to the caller until `lease_ends`); False, storing nothing, if the creator has already claimed the
    id for an instant order. The unique key of the chain decides (see chains.insert_chain).

    The notification exists before it is sent so that a delivery report arriving before the result is
    recorded finds it, and so that, should the process die during the send, the dispatch workers take
    it over once the lease runs out, as they do with any claim."""
    claimed = await chains.insert_chain(
        connection,
        chain_id=pending.chain_id,
        creator=pending.creator,
        kind=ChainKind.INSTANT,
        idempotency_id=pending.idempotency_id,
        created=pending.created,
        receipt=pending.receipt,
    )
    if not claimed:
        return False
    channel = pending.channel
    recipient = (
        Recipient(email_address=pending.address)
        if channel is Channel.EMAIL
        else Recipient(mobile_number=pending.address)
    )
    order = NewOrder(
        order_id=pending.order_id,
        creator=pending.creator,
        created=pending.created,
        requested_send_time=pending.created,
        channel=NotificationChannel.EMAIL if channel is Channel.EMAIL else NotificationChannel.SMS,
        sending_time_policy=SendingTimePolicy.ANYTIME,
        recipients=[recipient],
        email_template=pending.email_template,
        sms_template=pending.sms_template,
        senders_reference=pending.senders_reference,
        condition_endpoint=None,
        ignore_reservation=None,
        resource_id=None,
        resource_action=None,
        order_type=OrderType.INSTANT,
        chain_id=pending.chain_id,
    )
    # Stored already processed: its one notification is written beside it, not by a worker.
    await connection.execute(
        notification_order.insert().values(
            {
                **order.row(),
                "processing_status": OrderProcessingStatus.PROCESSED.value,
                f"{channel}_generated": 1,
            }
        )
    )
    row: dict[str, Any] = {
        "id": pending.notification_id,
        "notification_order_id": pending.order_id,
        "status": channel.sending.value,
        "status_changed_at": pending.created,
        "expires_at": pending.expires_at,
        "due_at": pending.lease_ends,
        "lease_token": pending.lease_token,
        "attempts": 1,
    }
    if channel is Channel.EMAIL:
        row["to_address"] = pending.address
    else:
        row["mobile_number"] = pending.address
        row["segments"] = pending.segments
        # Instant SMS go at any hour: taken over by a worker at night too, if this process dies.
        row["anytime"] = True
    await connection.execute(TABLES[channel].insert().values(row))
    return True


async def get_state(
    connection: AsyncConnection, creator: Creator, idempotency_id: str
) -> InstantState | None:
    """The creator's instant order under this id, if there is one (one statement)."""
    chain = notification_order_chain.c
    order = notification_order.c
    email, sms = notification_email.c, notification_sms.c
    result = await connection.execute(
        select(
            chain.receipt,
            order.notification_channel,
            func.coalesce(email.status, sms.status).label("status"),
            func.coalesce(email.due_at, sms.due_at).label("due_at"),
        )
        .select_from(
            notification_order_chain.outerjoin(notification_order, order.chain_id == chain.id)
            .outerjoin(notification_email, email.notification_order_id == order.id)
            .outerjoin(notification_sms, sms.notification_order_id == order.id)
        )
        .where(
            and_(
                chain.creator == creator,
                chain.kind == ChainKind.INSTANT.value,
                chain.idempotency_id == idempotency_id,
            )
        )
        .limit(1)
    )
    row = result.first()
    if row is None:
        return None
    status: NotificationStatus | None = None
    if row.status is not None:
        is_email = row.notification_channel == NotificationChannel.EMAIL.value
        channel = Channel.EMAIL if is_email else Channel.SMS
        status = channel.status(row.status)
    lease_ends: datetime | None = row.due_at if status is not None and status.value == "Sending" else None
    return InstantState(receipt=row.receipt, status=status, lease_ends=lease_ends)


async def discard_pending(connection: AsyncConnection, pending: PendingInstant) -> bool:
    """Remove the claim, its order and its notification, so that the id may be used again; only while
    the notification is still Sending under this claim's lease (False, removing nothing, once another
    has taken it over)."""
    table = TABLES[pending.channel]
    removed = await connection.execute(
        delete(table).where(
            and_(
                table.c.id == pending.notification_id,
                table.c.lease_token == pending.lease_token,
                table.c.status == pending.channel.sending.value,
            )
        )
    )
    if removed.rowcount != 1:
        return False
    await connection.execute(delete(notification_order).where(notification_order.c.id == pending.order_id))
    await connection.execute(
        delete(notification_order_chain).where(notification_order_chain.c.id == pending.chain_id)
    )
    return True
