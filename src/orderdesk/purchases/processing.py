"""Carrying confirmed orders to `processed` or `failed`: the customer linked or created, every line
checked against the catalogue, the lines' total against the order amount, and an invoice written.

A batch of orders is claimed, processed and recorded in one transaction: no network call happens in
between, so a worker killed halfway leaves every order of its batch `confirmed` for the next one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import structlog
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.core import topics
from orderdesk.core.addresses import normalize_register_mobile_number
from orderdesk.core.db import Database
from orderdesk.core.wakeup import after_commit
from orderdesk.purchases import repository
from orderdesk.purchases.catalog import catalog_key
from orderdesk.purchases.fields import MAX_AMOUNT
from orderdesk.purchases.models import (
    CallbackState,
    DeliveryStatus,
    InvoiceStatus,
    OrderStatus,
    ProductSpecType,
)

_log = structlog.get_logger(__name__)


MAX_PROCESSING_ERRORS = 5


class OrderRejected(Exception):
    """Why an order cannot be processed; the message becomes its failure reason."""


@dataclass(frozen=True, slots=True)
class CheckedLine:
    line_id: int
    product_id: int
    description: str | None
    amount: Decimal


def line_key(line: Any) -> str:
    """The catalogue key an order line names (an article by its articleDetail's product)."""
    spec_type = ProductSpecType(line.product_spec_type)
    product = line.product
    if spec_type is ProductSpecType.ARTICLE:
        product = (line.details.get("articleDetail") or {}).get("product")
    return catalog_key(spec_type, product, line.product_spec_code, line.product_spec_no)


def check_lines(lines: list[Any], products: dict[str, Any], order_amount: Decimal) -> list[CheckedLine]:
    """Each line must name a catalogue product at the catalogue's price (a line without unitPrice
    takes it), and the lines must add up to the order amount; OrderRejected says which does not."""
    checked = []
    for index, line in enumerate(lines):
        where = f"orderLines[{index}]"
        key = line_key(line)
        product = products.get(key)
        if product is None:
            named = key.split("|", 1)[1].replace("|", "/")
            raise OrderRejected(f"{where}: no {line.product_spec_type} {named} in the catalogue.")
        price = Decimal(product.unit_price)
        if line.unit_price is not None and Decimal(line.unit_price) != price:
            raise OrderRejected(f"{where}: unitPrice {line.unit_price} differs from the catalogue's {price}.")
        amount = price * line.quantity
        if amount > MAX_AMOUNT:
            raise OrderRejected(f"{where}: the line amount {amount} is too large.")
        checked.append(CheckedLine(line.id, product.id, product.description, amount))
    total = sum((line.amount for line in checked), Decimal(0))
    if total != order_amount:
        raise OrderRejected(f"orderAmount {order_amount} is not the order lines' total {total}.")
    return checked


def identity_key(payer: dict[str, Any]) -> str:
    """How a payer without a customer number is recognised: the first e-mail, else the first phone."""
    emails = payer.get("emails") or []
    if emails:
        return f"email:{str(emails[0]).strip().lower()}"
    phones = payer.get("phoneNumbers") or []
    return f"phone:{normalize_register_mobile_number(str(phones[0])) or phones[0]}"


def _line_outcome(line_id: int, invoice: int | None, checked: CheckedLine | None) -> dict[str, Any]:
    """A line as processing leaves it: invoiced and delivered, or (without a check) not invoiced and
    cancelled."""
    return {
        "line_id": line_id,
        "product_id": checked.product_id if checked else None,
        "description": checked.description if checked else None,
        "line_amount": checked.amount if checked else None,
        "invoice_number": invoice,
        "invoice_status": (InvoiceStatus.INVOICED if checked else InvoiceStatus.NOT_INVOICED).value,
        "delivery_status": (DeliveryStatus.DELIVERED if checked else DeliveryStatus.CANCELLED).value,
    }


def _customer_order(order: Any) -> tuple[str, str]:
    """Orders sorted so: those that name their customer first (they create none), then by client and
    identity, the unique key of the customers they may create."""
    if order.payer.get("customerNumber") is not None:
        return ("", "")
    return (order.client_id, identity_key(order.payer))


NOT_A_CUSTOMER = "payer.customerNumber is not a customer of this client."
"""One answer for a number of another client's customer and for one that exists nowhere, so that a
client cannot learn which numbers other clients' customers have."""


async def existing_customer(connection: AsyncConnection, client_id: str, payer: dict[str, Any]) -> int | None:
    """The client's customer a payer already is, if any; nobody is created (for orders that failed)."""
    number = payer.get("customerNumber")
    if number is not None:
        return int(number) if await repository.customer_exists(connection, client_id, number) else None
    return await repository.find_customer(connection, client_id, identity_key(payer))


async def customer_for(
    connection: AsyncConnection, client_id: str, payer: dict[str, Any], now: datetime
) -> int:
    """The client's customer the payer is: named by number, or linked by e-mail or phone, or created.
    Customers of other clients are never found here (OrderRejected for a number of theirs)."""
    number = payer.get("customerNumber")
    if number is not None:
        if not await repository.customer_exists(connection, client_id, number):
            raise OrderRejected(NOT_A_CUSTOMER)
        return int(number)
    emails = payer.get("emails") or []
    values = {
        "email": str(emails[0]).strip().lower() if emails else None,
        "first_name": payer.get("firstName"),
        "last_name": payer.get("lastName"),
        "company_name": payer.get("companyName"),
        "details": payer,
        "created_at": now,
    }
    return await repository.link_customer(connection, client_id, identity_key(payer), values)


class FulfilmentWorker:
    """Processes confirmed orders in batches; any number of workers may share one database."""

    def __init__(
        self,
        database: Database,
        clock: Callable[[], datetime],
        *,
        batch: int,
        poll_seconds: float,
    ) -> None:
        self._database = database
        self._batch = batch
        self._clock = clock
        self._poll_seconds = poll_seconds

    async def step(self) -> float:
        async with self._database.transaction() as connection:
            orders = await repository.claim_confirmed(connection, self._batch)
            if not orders:
                return self._poll_seconds
            now = self._clock()
            lines = await repository.lines_to_check(connection, [order.order_id for order in orders])
            products = await repository.products_by_key(connection, (line_key(line) for line in lines))
            lines_of: dict[int, list[Any]] = {}
            for line in lines:
                lines_of.setdefault(line.order_id, []).append(line)
            calls_back = progressed = False
            # In the order of the customers they may create: two workers then take the customers' unique
            # keys in the same order and never wait on each other in a cycle (a deadlock).
            for order in sorted(orders, key=_customer_order):
                own = lines_of.get(order.order_id, [])
                try:
                    async with connection.begin_nested():
                        calls_back |= await self._process(connection, order, own, products, now)
                    progressed = True
                except SQLAlchemyError as error:
                    await self._set_aside(connection, order, error, now)
            if calls_back:
                await after_commit(connection, topics.PURCHASE_CALLBACKS)
        return 0.0 if progressed else self._poll_seconds

    async def _set_aside(
        self, connection: AsyncConnection, order: Any, error: Exception, now: datetime
    ) -> None:
        """An order the database refused (a value it cannot hold, say) must not hold up the others: it
        goes to the back of the queue, and fails after MAX_PROCESSING_ERRORS such refusals."""
        errors = order.processing_errors + 1
        _log.error("purchase_order_processing_error", order_id=order.order_id, errors=errors, exc_info=error)
        if errors < MAX_PROCESSING_ERRORS:
            await repository.update_order(
                connection, order.order_id, processing_errors=errors, status_changed_at=now
            )
            return
        reason = f"The order could not be processed ({type(error).__name__})."
        callback = (
            {"callback_state": CallbackState.PENDING.value, "callback_due_at": now}
            if order.callback_url
            else {}
        )
        lines = await repository.lines_to_check(connection, [order.order_id])
        await self._fail(connection, order.order_id, list(lines), reason, now, None, callback)

    async def _process(
        self,
        connection: AsyncConnection,
        order: Any,
        lines: list[Any],
        products: dict[str, Any],
        now: datetime,
    ) -> bool:
        callback = (
            {"callback_state": CallbackState.PENDING.value, "callback_due_at": now}
            if order.callback_url
            else {}
        )
        try:
            # Every refusal is found before anything is written: the batch's transaction stays clean.
            checked = check_lines(lines, products, Decimal(order.order_amount))
            customer = await customer_for(connection, order.client_id, order.payer, now)
        except OrderRejected as rejected:
            known = await existing_customer(connection, order.client_id, order.payer)
            await self._fail(connection, order.order_id, lines, str(rejected)[:500], now, known, callback)
            return bool(callback)
        invoice = await repository.insert_invoice(
            connection, order.order_id, customer, Decimal(order.order_amount), order.currency, now
        )
        await repository.update_lines(
            connection, [_line_outcome(line.line_id, invoice, line) for line in checked]
        )
        await repository.update_order(
            connection,
            order.order_id,
            status=OrderStatus.PROCESSED.value,
            status_changed_at=now,
            customer_number=customer,
            **callback,
        )
        return bool(callback)

    async def _fail(
        self,
        connection: AsyncConnection,
        order_id: int,
        lines: list[Any],
        reason: str,
        now: datetime,
        customer: int | None,
        callback: dict[str, Any],
    ) -> None:
        _log.info("purchase_order_failed", order_id=order_id, reason=reason)
        await repository.update_lines(connection, [_line_outcome(line.id, None, None) for line in lines])
        await repository.update_order(
            connection,
            order_id,
            status=OrderStatus.FAILED.value,
            status_changed_at=now,
            processing_errors=0,
            failure_reason=reason,
            customer_number=customer,
            **callback,
        )
