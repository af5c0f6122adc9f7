"""The queries of purchase orders; callers own the transaction."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.core.db import insert_for, lock_for_update
from orderdesk.purchases.models import (
    CallbackState,
    DeliveryStatus,
    InvoiceStatus,
    NewOrder,
    OrderStatus,
)
from orderdesk.purchases.tables import (
    api_client,
    purchase_customer,
    purchase_invoice,
    purchase_order,
    purchase_order_line,
    purchase_product,
)

_order = purchase_order.c
_line = purchase_order_line.c
SUMMARY_COLUMNS = (
    _order.order_id,
    _order.external_order_id,
    _order.order_time,
    _order.status,
    _order.order_amount,
    _order.customer_number,
)


async def insert_order(
    connection: AsyncConnection, client_id: str, order: NewOrder, customer_number: int | None, now: datetime
) -> int | None:
    """Store the order and its lines as `preliminary`; None (and nothing stored) when the client has
    an order with this externalOrderId already, also when another request stores it at this moment."""
    statement = (
        insert_for(connection, purchase_order)
        .values(
            client_id=client_id,
            external_order_id=order.external_order_id,
            order_time=order.order_time,
            payment_method=order.payment_method.value,
            order_amount=order.amount,
            currency=order.currency,
            recurring=order.recurring,
            prepaid=order.prepaid,
            payer=order.payer,
            request=order.request,
            status=OrderStatus.PRELIMINARY.value,
            status_changed_at=now,
            customer_number=customer_number,
            processing_errors=0,
            callback_attempts=0,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["client_id", "external_order_id"])
        .returning(_order.order_id)
    )
    order_id: int | None = (await connection.execute(statement)).scalar()
    if order_id is None:
        return None
    await connection.execute(
        purchase_order_line.insert(),
        [
            {
                "order_id": order_id,
                "line_number": number,
                "product_spec_type": line.spec_type.value,
                "product": line.product,
                "product_spec_code": line.spec_code,
                "product_spec_no": line.spec_no,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "details": line.details,
                "invoice_status": InvoiceStatus.NOT_INVOICED.value,
                "delivery_status": DeliveryStatus.WAITING.value,
            }
            for number, line in enumerate(order.lines, start=1)
        ],
    )
    return order_id


async def client_exists(connection: AsyncConnection, client_id: str) -> bool:
    query = select(api_client.c.client_id).where(api_client.c.client_id == client_id)
    return (await connection.execute(query)).first() is not None


async def get_order_id_by_external(
    connection: AsyncConnection, client_id: str, external_id: str
) -> int | None:
    result = await connection.execute(
        select(_order.order_id).where(_order.client_id == client_id, _order.external_order_id == external_id)
    )
    found: int | None = result.scalar()
    return found


async def get_order(connection: AsyncConnection, client_id: str, order_id: int, *, lock: bool = False) -> Any:
    """The client's order (another client's is as good as absent); `lock` keeps it until commit."""
    query = select(purchase_order).where(_order.order_id == order_id, _order.client_id == client_id)
    if lock:
        await lock_for_update(connection)
        query = query.with_for_update()
    return (await connection.execute(query)).first()


async def get_summary(connection: AsyncConnection, client_id: str, order_id: int) -> Any:
    query = select(*SUMMARY_COLUMNS).where(_order.order_id == order_id, _order.client_id == client_id)
    return (await connection.execute(query)).first()


async def update_order(connection: AsyncConnection, order_id: int, **values: Any) -> None:
    await connection.execute(update(purchase_order).where(_order.order_id == order_id).values(**values))


def _of_user(email: str) -> Any:
    """Orders of the customers a user is: those whose e-mail is the user's, of every client (the user
    token proves the e-mail, and each client's customer with that e-mail is this person)."""
    customers = select(purchase_customer.c.customer_number).where(purchase_customer.c.email == email.lower())
    return _order.customer_number.in_(customers.scalar_subquery())


async def list_user_orders(
    connection: AsyncConnection,
    email: str,
    *,
    order_id: int | None = None,
    external_order_id: str | None = None,
    limit: int = 1000,
) -> list[Any]:
    query = select(*SUMMARY_COLUMNS).where(_of_user(email))
    if order_id is not None:
        query = query.where(_order.order_id == order_id)
    if external_order_id is not None:
        query = query.where(_order.external_order_id == external_order_id)
    return list((await connection.execute(query.order_by(_order.order_id.desc()).limit(limit))).all())


async def lines_of(connection: AsyncConnection, order_ids: Iterable[int]) -> list[Any]:
    query = (
        select(
            _line.order_id,
            _line.product,
            _line.product_spec_code,
            _line.description,
            _line.invoice_number,
            _line.line_amount,
            _line.invoice_status,
            _line.delivery_status,
            purchase_invoice.c.created_at.label("invoice_time"),
        )
        .select_from(purchase_order_line.outerjoin(purchase_invoice))
        .where(_line.order_id.in_(list(order_ids)))
        .order_by(_line.order_id, _line.line_number)
    )
    return list((await connection.execute(query)).all())


# The fulfilment worker


async def claim_confirmed(connection: AsyncConnection, limit: int) -> list[Any]:
    """Confirmed orders to process in this transaction; locked so that no other worker takes them
    (PostgreSQL skips rows another worker holds; SQLite has one writer at a time)."""
    await lock_for_update(connection)
    query = (
        select(purchase_order)
        .where(_order.status == OrderStatus.CONFIRMED.value)
        .order_by(_order.status_changed_at, _order.order_id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await connection.execute(query)).all())


async def lines_to_check(connection: AsyncConnection, order_ids: Sequence[int]) -> list[Any]:
    query = select(purchase_order_line).where(_line.order_id.in_(order_ids)).order_by(_line.line_number)
    return list((await connection.execute(query)).all())


async def products_by_key(connection: AsyncConnection, keys: Iterable[str]) -> dict[str, Any]:
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    rows = await connection.execute(
        select(purchase_product).where(purchase_product.c.catalog_key.in_(wanted))
    )
    return {row.catalog_key: row for row in rows}


async def customer_exists(connection: AsyncConnection, client_id: str, customer_number: int) -> bool:
    """Whether the number is a customer of this client; another client's customer is as good as none."""
    query = select(purchase_customer.c.customer_number).where(
        purchase_customer.c.customer_number == customer_number,
        purchase_customer.c.client_id == client_id,
    )
    return (await connection.execute(query)).first() is not None


async def find_customer(connection: AsyncConnection, client_id: str, identity_key: str) -> int | None:
    """The client's customer known by `identity_key`, if any."""
    query = select(purchase_customer.c.customer_number).where(
        purchase_customer.c.client_id == client_id, purchase_customer.c.identity_key == identity_key
    )
    number: int | None = (await connection.execute(query)).scalar()
    return number


async def link_customer(
    connection: AsyncConnection, client_id: str, identity_key: str, values: dict[str, Any]
) -> int:
    """The client's customer known by `identity_key`, created from `values` when it has none. Two
    workers creating the same customer at once end with one: the second insert finds the first's row."""
    await connection.execute(
        insert_for(connection, purchase_customer)
        .values(client_id=client_id, identity_key=identity_key, **values)
        .on_conflict_do_nothing(index_elements=["client_id", "identity_key"])
    )
    number = await find_customer(connection, client_id, identity_key)
    assert number is not None  # inserted just now, or by the other worker that won the race
    return number


async def insert_invoice(
    connection: AsyncConnection,
    order_id: int,
    customer_number: int,
    amount: Decimal,
    currency: str,
    now: datetime,
) -> int:
    statement = (
        purchase_invoice.insert()
        .values(
            order_id=order_id,
            customer_number=customer_number,
            amount=amount,
            currency=currency,
            created_at=now,
        )
        .returning(purchase_invoice.c.invoice_number)
    )
    number: int = (await connection.execute(statement)).scalar_one()
    return number


async def update_lines(connection: AsyncConnection, changes: Sequence[dict[str, Any]]) -> None:
    """Write the outcome of many lines in one executemany; each change names its line by `line_id`."""
    if not changes:
        return
    statement = (
        update(purchase_order_line)
        .where(_line.id == bindparam("line_id"))
        .values(
            product_id=bindparam("product_id"),
            description=bindparam("description"),
            line_amount=bindparam("line_amount"),
            invoice_number=bindparam("invoice_number"),
            invoice_status=bindparam("invoice_status"),
            delivery_status=bindparam("delivery_status"),
        )
    )
    await connection.execute(statement, list(changes))


# Callbacks


async def claim_callbacks(
    connection: AsyncConnection, now: datetime, until: datetime, limit: int
) -> list[tuple[int, str, str, str, int]]:
    """Due callbacks, each leased to this worker until `until`: (order id, url, status, lease,
    attempts). A worker that dies mid-call loses its lease and the callback is made again."""
    await lock_for_update(connection)
    query = (
        select(_order.order_id, _order.callback_url, _order.status, _order.callback_attempts)
        .where(_order.callback_state == CallbackState.PENDING.value, _order.callback_due_at <= now)
        .order_by(_order.callback_due_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = (await connection.execute(query)).all()
    if not rows:
        return []
    lease = str(uuid.uuid4())  # one lease for the claim: written in one statement
    await connection.execute(
        update(purchase_order)
        .where(
            _order.order_id.in_([row.order_id for row in rows]),
            _order.callback_state == CallbackState.PENDING.value,
        )
        .values(callback_lease=lease, callback_due_at=until)
    )
    return [(row.order_id, row.callback_url, row.status, lease, row.callback_attempts) for row in rows]


async def record_callback(connection: AsyncConnection, order_id: int, lease: str, **values: Any) -> bool:
    """Write a callback's outcome unless its lease was lost to another worker meanwhile."""
    result = await connection.execute(
        update(purchase_order)
        .where(
            _order.order_id == order_id,
            _order.callback_lease == lease,
            _order.callback_state == CallbackState.PENDING.value,
        )
        .values(**values)
    )
    return result.rowcount == 1
