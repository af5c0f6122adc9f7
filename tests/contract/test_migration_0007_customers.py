"""Migration 0007 makes purchase customers the client's own: existing customers go to the client whose
order created them, and orders another client had linked to them get a copy of their own, on SQLite and
PostgreSQL, with the rows the upgrade finds (and back again)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from orderdesk.core.db import Database
from orderdesk.migrations import runner
from tests.contract.test_migrations import empty_database, schema_differences

__all__ = ["empty_database"]  # the fixture, shared with the other migration tests

_ORDER = (
    "INSERT INTO purchase_order (order_id, client_id, order_time, payment_method, order_amount, currency, "
    "recurring, prepaid, payer, request, status, status_changed_at, processing_errors, customer_number, "
    "callback_attempts, created_at) VALUES ({order_id}, '{client}', CURRENT_TIMESTAMP, 'invoice', 149, "
    "'NOK', false, false, '{{}}', '{{}}', '{status}', CURRENT_TIMESTAMP, 0, {customer}, 0, CURRENT_TIMESTAMP)"
)


async def _seed_0006(database: Database) -> None:
    """Shop B's order created customer 1; shop A's orders 2 (processed, invoiced) and 3 (failed) were
    linked to it, as 0006 allowed; customer 2 has no order."""
    statements = [
        *(
            f"INSERT INTO api_client (client_id, name, secret_hash, created_at) "
            f"VALUES ('{client}', '{client}', 'x', CURRENT_TIMESTAMP)"
            for client in ("shop-a", "shop-b")
        ),
        *(
            # Numbered by the database (1 and 2 in a new one), as customers always are.
            f"INSERT INTO purchase_customer (identity_key, email, first_name, details, created_at) "
            f"VALUES ('{key}', '{email}', 'Ola', '{{}}', CURRENT_TIMESTAMP)"
            for key, email in (("email:ola@example.com", "ola@example.com"), ("phone:+47", ""))
        ),
        _ORDER.format(order_id=1, client="shop-b", status="processed", customer=1),
        _ORDER.format(order_id=2, client="shop-a", status="processed", customer=1),
        _ORDER.format(order_id=3, client="shop-a", status="failed", customer=1),
        *(
            f"INSERT INTO purchase_invoice (invoice_number, order_id, customer_number, amount, currency, "
            f"created_at) VALUES ({order_id}, {order_id}, 1, 149, 'NOK', CURRENT_TIMESTAMP)"
            for order_id in (1, 2)
        ),
    ]
    async with database.transaction() as connection:
        for statement in statements:
            await connection.execute(text(statement))


async def _rows(database: Database, query: str) -> list[Any]:
    async with database.transaction() as connection:
        return list((await connection.execute(text(query))).all())


async def test_upgrade__customers_go_to_the_client_that_created_them__others_get_copies(
    empty_database: Database,
) -> None:
    await runner.upgrade(empty_database, "0006")
    await _seed_0006(empty_database)

    await runner.upgrade(empty_database, "0007")

    customers = await _rows(
        empty_database,
        "SELECT customer_number, client_id, identity_key, email, first_name FROM purchase_customer "
        "ORDER BY customer_number",
    )
    assert [tuple(row) for row in customers[:1]] == [
        (1, "shop-b", "email:ola@example.com", "ola@example.com", "Ola")
    ]
    [copy] = customers[1:]
    assert (copy.client_id, copy.identity_key, copy.email, copy.first_name) == (
        "shop-a",
        "email:ola@example.com",
        "ola@example.com",
        "Ola",
    )
    orders = await _rows(empty_database, "SELECT order_id, customer_number FROM purchase_order ORDER BY 1")
    assert [tuple(row) for row in orders] == [(1, 1), (2, copy.customer_number), (3, copy.customer_number)]
    invoices = await _rows(
        empty_database, "SELECT order_id, customer_number FROM purchase_invoice ORDER BY 1"
    )
    assert [tuple(row) for row in invoices] == [(1, 1), (2, copy.customer_number)]
    # The later migrations replay on top of it to the declared schema.
    await runner.upgrade(empty_database)
    assert await schema_differences(empty_database) == []


async def test_downgrade__rows_kept__one_identity_per_installation_again(empty_database: Database) -> None:
    await runner.upgrade(empty_database, "0006")
    await _seed_0006(empty_database)
    await runner.upgrade(empty_database, "0007")

    await runner.downgrade(empty_database, "0006")

    customers = await _rows(
        empty_database, "SELECT customer_number, identity_key FROM purchase_customer ORDER BY 1"
    )
    assert tuple(customers[0]) == (1, "email:ola@example.com")
    assert [row.identity_key for row in customers[1:]] == [None]
    orders = await _rows(empty_database, "SELECT count(*) FROM purchase_order")
    assert orders[0][0] == 3
