"""Which of the client's customers a payer is: named by number, or linked by e-mail or phone, or
created. Customers of other clients are never found here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.purchases import repository
from orderdesk.purchases.errors import OrderRejected
from orderdesk.purchases.rules.customers import NOT_A_CUSTOMER, identity_key, named_customer, new_customer


async def existing_customer(connection: AsyncConnection, client_id: str, payer: dict[str, Any]) -> int | None:
    """The client's customer a payer already is, if any; nobody is created (for orders that failed)."""
    number = named_customer(payer)
    if number is not None:
        return number if await repository.customers.customer_exists(connection, client_id, number) else None
    return await repository.customers.find_customer(connection, client_id, identity_key(payer))


async def customer_for(
    connection: AsyncConnection, client_id: str, payer: dict[str, Any], now: datetime
) -> int:
    """The client's customer the payer is: named by number, or linked by e-mail or phone, or created.
    OrderRejected for a number that is not one of this client's customers."""
    number = named_customer(payer)
    if number is not None:
        if not await repository.customers.customer_exists(connection, client_id, number):
            raise OrderRejected(NOT_A_CUSTOMER)
        return number
    return await repository.customers.insert_customer(
        connection, client_id, identity_key(payer), new_customer(payer), now
    )
