"""Use case of the current generation's order chains: register a main notification and its reminders
under an idempotency id, each reminder an order of its own carried out by the same pipeline."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.core.db import on_commit
from orderdesk.core.outbound import AddressPolicy
from orderdesk.notifications.errors import MissingContactInformation
from orderdesk.notifications.models import (
    ChainKind,
    ChainOrder,
    ChainReceipt,
    ChainRequest,
    Creator,
    OrderId,
    Recipient,
    Shipment,
)
from orderdesk.notifications.repository import chains as repository
from orderdesk.notifications.repository import orders as order_repository
from orderdesk.notifications.rules.chains import send_times, validate_chain
from orderdesk.notifications.service.orders import OrderDefaults, look_up, with_defaults
from orderdesk.observability import metrics


@dataclass(frozen=True, slots=True)
class ChainRegistration:
    receipt: ChainReceipt
    created: bool
    """False: the idempotency id was used before, and `receipt` is that first registration's."""


async def register_chain(
    connection: AsyncConnection,
    creator: Creator,
    chain: ChainRequest,
    *,
    now: datetime,
    defaults: OrderDefaults,
    outbound: AddressPolicy,
) -> ChainRegistration:
    """Store the chain and its orders as Registered, or find the chain the creator registered under the
    same idempotency id before (whatever this request says). The connection may be
    `Database.atomic_write()`'s: the chain and its orders are written by one repository call.

    Raises InvalidInput for times or endpoints that do not hold, and MissingContactInformation
    (storing nothing) when a person or organisation has no contact point on the order's channel;
    reserved persons are not missing: they are told apart when the order is sent. Concurrent
    requests with one id store one chain: the unique key decides which, and the others get its receipt.
    """
    validate_chain(chain, now, outbound)
    orders = chain.orders
    try:
        recipients = await _reachable_recipients(connection, orders)
    except MissingContactInformation:
        # A repeat is answered as the first request was, whatever the register says now.
        earlier = await _earlier(connection, creator, chain)
        if earlier is None:
            raise
        return earlier
    chain_id = uuid.uuid4()
    order_ids = [OrderId(uuid.uuid4()) for _ in orders]
    shipments = [
        Shipment(order_id, order.request.senders_reference)
        for order_id, order in zip(order_ids, orders, strict=True)
    ]
    receipt = ChainReceipt(chain_id=chain_id, main=shipments[0], reminders=shipments[1:])
    new_orders = [
        order_repository.NewOrder.of_request(
            order_id,
            with_defaults(order.request, defaults),
            creator=creator,
            created=now,
            send_time=send_time,
            sending_time_policy=order.sending_time_policy,
            recipients=order_recipients,
            order_type=order.order_type,
            chain_id=chain_id,
        )
        for order_id, order, send_time, order_recipients in zip(
            order_ids, orders, send_times(chain, now), recipients, strict=True
        )
    ]
    claimed = await repository.insert_chain(
        connection,
        chain_id=chain_id,
        creator=creator,
        kind=ChainKind.NOTIFICATION,
        idempotency_id=chain.idempotency_id,
        created=now,
        receipt=receipt.to_json(),
        dialog_id=chain.dialog_id,
        transmission_id=chain.transmission_id,
        orders=new_orders,
    )
    if not claimed:
        earlier = await _earlier(connection, creator, chain)
        assert earlier is not None, "the idempotency id is taken but its chain cannot be read"
        return earlier
    on_commit(connection, lambda: metrics.order_placed("notifications", "chain"))
    return ChainRegistration(receipt, created=True)


async def _earlier(
    connection: AsyncConnection, creator: Creator, chain: ChainRequest
) -> ChainRegistration | None:
    receipt = await repository.get_receipt(connection, creator, ChainKind.NOTIFICATION, chain.idempotency_id)
    return None if receipt is None else ChainRegistration(ChainReceipt.from_json(receipt), created=False)


async def _reachable_recipients(
    connection: AsyncConnection, orders: list[ChainOrder]
) -> list[list[Recipient]]:
    """Each order's recipients as the register knows them; MissingContactInformation naming every
    recipient of the chain that cannot be reached on its order's channel."""
    missing: list[str] = []
    recipients: list[list[Recipient]] = []
    for order in orders:
        if order.unreachable is not None:
            missing.append(order.unreachable)
        found, lookup = await look_up(connection, order.request)
        if lookup is not None:
            missing.extend(lookup.missing_contact)
        recipients.append(found)
    if missing:
        raise MissingContactInformation(
            "Missing contact information for recipient(s): " + ", ".join(dict.fromkeys(missing)) + "."
        )
    return recipients
