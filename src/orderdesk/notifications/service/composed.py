"""Use case of a composed e-mail: register one e-mail with attachments under an idempotency id, as a
chain of kind Composed holding one order of type Composed. The order pipeline carries it out at its
send time; its notification goes out in the composed dispatch lane, which fetches the attachments."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.core.db import on_commit
from orderdesk.core.errors import InvalidInput
from orderdesk.core.outbound import AddressPolicy, refused_fields
from orderdesk.notifications.models import (
    ChainKind,
    Creator,
    EmailTemplate,
    NotificationChannel,
    OrderId,
    OrderType,
    Recipient,
    SendingTimePolicy,
)
from orderdesk.notifications.repository import chains, orders
from orderdesk.notifications.rules.attachments import AttachmentHosts, attachment_errors
from orderdesk.notifications.rules.chains import SEND_TIME_IN_PAST
from orderdesk.observability import metrics

ATTACHMENTS_FIELD = "recipient.emailSettings.attachments"


@dataclass(frozen=True, slots=True)
class ComposedEmailOrder:
    """A composed e-mail as requested; the template's sender is filled in when left out."""

    idempotency_id: str
    email_address: str
    template: EmailTemplate
    senders_reference: str | None = None
    requested_send_time: datetime | None = None
    condition_endpoint: str | None = None
    dialog_id: str | None = None
    transmission_id: str | None = None


@dataclass(frozen=True, slots=True)
class ComposedRegistration:
    """`created` False: the id was used before, and `receipt` is the first request's answer."""

    receipt: dict[str, Any]
    created: bool

    @property
    def shipment_id(self) -> UUID:
        return UUID(str(self.receipt["notification"]["shipmentId"]))


def validate_composed_email(
    order: ComposedEmailOrder, *, now: datetime, outbound: AddressPolicy, hosts: AttachmentHosts
) -> None:
    """InvalidInput naming every field this service's settings or the clock refuse."""
    errors = refused_fields(outbound, [("conditionEndpoint", order.condition_endpoint)])
    send_time = order.requested_send_time or now
    if order.requested_send_time is not None and order.requested_send_time < now:
        errors.setdefault("requestedSendTime", []).append(SEND_TIME_IN_PAST)
    errors.update(
        attachment_errors(
            order.template.attachments,
            prefix=ATTACHMENTS_FIELD,
            hosts=hosts,
            outbound=outbound,
            send_time=max(send_time, now),
        )
    )
    if errors:
        raise InvalidInput(errors)


async def register_composed_email(
    connection: AsyncConnection,
    creator: Creator,
    order: ComposedEmailOrder,
    *,
    now: datetime,
    outbound: AddressPolicy,
    hosts: AttachmentHosts,
) -> ComposedRegistration:
    """Validate, then claim the idempotency id and store the order, in the caller's transaction.

    Idempotent by (creator, Composed, idempotency id): a repeated id stores nothing and returns the
    first receipt, whatever the new body says (a concurrent twin waits on the unique key)."""
    validate_composed_email(order, now=now, outbound=outbound, hosts=hosts)
    chain_id = uuid.uuid4()
    order_id = OrderId(uuid.uuid4())
    shipment: dict[str, Any] = {"shipmentId": str(order_id)}
    if order.senders_reference is not None:
        shipment["sendersReference"] = order.senders_reference
    receipt = {"notificationOrderId": str(chain_id), "notification": shipment}
    new_order = orders.NewOrder(
        order_id=order_id,
        creator=creator,
        created=now,
        requested_send_time=order.requested_send_time or now,
        channel=NotificationChannel.EMAIL,
        sending_time_policy=SendingTimePolicy.ANYTIME,
        recipients=[Recipient(email_address=order.email_address)],
        email_template=order.template,
        sms_template=None,
        senders_reference=order.senders_reference,
        condition_endpoint=order.condition_endpoint,
        ignore_reservation=None,
        resource_id=None,
        resource_action=None,
        order_type=OrderType.COMPOSED,
        chain_id=chain_id,
    )
    claimed = await chains.insert_chain(
        connection,
        chain_id=chain_id,
        creator=creator,
        kind=ChainKind.COMPOSED,
        idempotency_id=order.idempotency_id,
        created=now,
        receipt=receipt,
        dialog_id=order.dialog_id,
        transmission_id=order.transmission_id,
        orders=[new_order],
    )
    if not claimed:
        first = await chains.get_receipt(connection, creator, ChainKind.COMPOSED, order.idempotency_id)
        assert first is not None, "the unique key refused the id, so its chain exists"
        return ComposedRegistration(receipt=first, created=False)
    on_commit(connection, lambda: metrics.order_placed("notifications", "composed"))
    return ComposedRegistration(receipt=receipt, created=True)
