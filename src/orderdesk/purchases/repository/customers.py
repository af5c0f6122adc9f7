"""The queries of customers: each is one client's own, found by number or by identity."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.core.db import insert_for
from orderdesk.purchases.models import NewCustomer
from orderdesk.purchases.tables import purchase_customer

_customer = purchase_customer.c


async def customer_exists(connection: AsyncConnection, client_id: str, customer_number: int) -> bool:
    """Whether the number is a customer of this client; another client's customer is as good as none."""
    query = select(_customer.customer_number).where(
        _customer.customer_number == customer_number,
        _customer.client_id == client_id,
    )
    return (await connection.execute(query)).first() is not None


async def find_customer(connection: AsyncConnection, client_id: str, identity_key: str) -> int | None:
    """The client's customer known by `identity_key`, if any."""
    query = select(_customer.customer_number).where(
        _customer.client_id == client_id, _customer.identity_key == identity_key
    )
    number: int | None = (await connection.execute(query)).scalar()
    return number


async def insert_customer(
    connection: AsyncConnection, client_id: str, identity_key: str, customer: NewCustomer, now: datetime
) -> int:
    """The client's customer known by `identity_key`, created from `customer` when it has none. Two
    workers creating the same customer at once end with one: the second insert finds the first's row."""
    await connection.execute(
        insert_for(connection, purchase_customer)
        .values(
            client_id=client_id,
            identity_key=identity_key,
            email=customer.email,
            first_name=customer.first_name,
            last_name=customer.last_name,
            company_name=customer.company_name,
            details=customer.details,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["client_id", "identity_key"])
    )
    number = await find_customer(connection, client_id, identity_key)
    assert number is not None  # inserted just now, or by the other worker that won the race
    return number
