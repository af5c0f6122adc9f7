"""Use case of the current generation's order chains: register a main notification and its reminders
under an idempotency id, each reminder an order of its own carried out by the same pipeline."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.core.db import Database, on_commit
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
from orderdesk.notifications.service.orders import OrderDefaults, look_up, needs_look_up, with_defaults
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
    try:
        recipients = await _reachable_recipients(connection, chain.orders)
    except MissingContactInformation:
        # A repeat is answered as the first request was, whatever the register says now.
        earlier = await _earlier(connection, creator, chain)
        if earlier is None:
            raise
        return earlier
    prepared = _prepared(creator, chain, now, defaults, recipients)
    claimed = await repository.insert_chain(connection, **prepared.stored(creator, chain, now))
    if not claimed:
        earlier = await _earlier(connection, creator, chain)
        assert earlier is not None, "the idempotency id is taken but its chain cannot be read"
        return earlier
    on_commit(connection, lambda: metrics.order_placed("notifications", "chain"))
    return ChainRegistration(prepared.receipt, created=True)


async def place_chain(
    database: Database,
    creator: Creator,
    chain: ChainRequest,
    *,
    now: datetime,
    defaults: OrderDefaults,
    outbound: AddressPolicy,
) -> ChainRegistration:
    """`register_chain` as the API runs it, outside any transaction. With PostgreSQL's driver lane,
    the chain and its orders are one statement on a lent connection, and the contact register and
    an earlier registration are read on a connection of their own only when needed; otherwise
    `register_chain` on `Database.atomic_write()`."""
    if database.lane is None:
        async with database.atomic_write() as connection:
            return await register_chain(
                connection, creator, chain, now=now, defaults=defaults, outbound=outbound
            )
    validate_chain(chain, now, outbound)
    try:
        if any(needs_look_up(order.request) for order in chain.orders):
            async with database.read() as connection:
                recipients = await _reachable_recipients(connection, chain.orders)
        else:
            recipients = _reachable_as_given(chain.orders)
    except MissingContactInformation:
        earlier = await _read_earlier(database, creator, chain)
        if earlier is None:
            raise
        return earlier
    prepared = _prepared(creator, chain, now, defaults, recipients)
    if not await repository.insert_chain_alone(database, **prepared.stored(creator, chain, now)):
        earlier = await _read_earlier(database, creator, chain)
        assert earlier is not None, "the idempotency id is taken but its chain cannot be read"
        return earlier
    metrics.order_placed("notifications", "chain")
    return ChainRegistration(prepared.receipt, created=True)


@dataclass(frozen=True, slots=True)
class _Prepared:
    """A chain ready to store: its id, the receipt it answers with, and its orders."""

    chain_id: uuid.UUID
    receipt: ChainReceipt
    orders: list[order_repository.NewOrder]

    def stored(self, creator: Creator, chain: ChainRequest, now: datetime) -> dict[str, Any]:
        """The keyword arguments of the repository's chain inserts."""
        return {
            "chain_id": self.chain_id,
            "creator": creator,
            "kind": ChainKind.NOTIFICATION,
            "idempotency_id": chain.idempotency_id,
            "created": now,
            "receipt": self.receipt.to_json(),
            "dialog_id": chain.dialog_id,
            "transmission_id": chain.transmission_id,
            "orders": self.orders,
        }


def _prepared(
    creator: Creator,
    chain: ChainRequest,
    now: datetime,
    defaults: OrderDefaults,
    recipients: list[list[Recipient]],
) -> _Prepared:
    orders = chain.orders
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
    return _Prepared(chain_id, receipt, new_orders)


async def _read_earlier(
    database: Database, creator: Creator, chain: ChainRequest
) -> ChainRegistration | None:
    async with database.read() as connection:
        return await _earlier(connection, creator, chain)


async def _earlier(
    connection: AsyncConnection, creator: Creator, chain: ChainRequest
) -> ChainRegistration | None:
    receipt = await repository.get_receipt(connection, creator, ChainKind.NOTIFICATION, chain.idempotency_id)
    return None if receipt is None else ChainRegistration(ChainReceipt.from_json(receipt), created=False)


def _reachable_as_given(orders: list[ChainOrder]) -> list[list[Recipient]]:
    """Each order's recipients when none is to be looked up in the register: MissingContactInformation
    for any the request itself left unreachable."""
    missing = [order.unreachable for order in orders if order.unreachable is not None]
    _refuse_missing(missing)
    return [list(order.request.recipients) for order in orders]


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
    _refuse_missing(missing)
    return recipients


def _refuse_missing(missing: list[str]) -> None:
    """MissingContactInformation naming each unreachable recipient once, when there is any."""
    if missing:
        raise MissingContactInformation(
            "Missing contact information for recipient(s): " + ", ".join(dict.fromkeys(missing)) + "."
        )
