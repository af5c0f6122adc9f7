"""Migration 0019 gives every existing API client a callback signing secret of its own, on SQLite and
PostgreSQL (and drops them again on the way down), the clients kept with the orders that name them."""

from __future__ import annotations

from sqlalchemy import text
from standardwebhooks import Webhook

from orderdesk.core.db import Database
from orderdesk.migrations import runner
from tests.contract.test_migrations import empty_database, schema_differences

__all__ = ["empty_database"]  # the fixture, shared with the other migration tests

SHOPS = ("shop-a", "shop-b", "shop-c")


async def _seed_0018(database: Database) -> None:
    """The shops, and an order of the first: SQLite rebuilds api_client under its foreign key."""
    async with database.transaction() as connection:
        for shop in SHOPS:
            await connection.execute(
                text(
                    "INSERT INTO api_client (client_id, name, secret_hash, created_at) "
                    "VALUES (:shop, :shop, 'x', CURRENT_TIMESTAMP)"
                ),
                {"shop": shop},
            )
        await connection.execute(
            text(
                "INSERT INTO purchase_order (order_id, client_id, order_time, payment_method, order_amount, "
                "currency, recurring, prepaid, payer, request, status, status_changed_at, "
                "processing_errors, callback_attempts, created_at) VALUES (1, 'shop-a', CURRENT_TIMESTAMP, "
                "'invoice', 149, 'NOK', false, false, '{}', '{}', 'processed', CURRENT_TIMESTAMP, 0, 0, "
                "CURRENT_TIMESTAMP)"
            )
        )


async def test_upgrade__each_existing_client_gets_a_whsec_secret_of_its_own(empty_database: Database) -> None:
    await runner.upgrade(empty_database, "0018")
    await _seed_0018(empty_database)

    await runner.upgrade(empty_database, "0019")

    async with empty_database.transaction() as connection:
        rows = (
            await connection.execute(
                text("SELECT client_id, callback_signing_secret FROM api_client ORDER BY client_id")
            )
        ).all()
    assert [row.client_id for row in rows] == list(SHOPS)
    secrets = [row.callback_signing_secret for row in rows]
    assert len(set(secrets)) == len(SHOPS)
    for secret in secrets:
        assert secret.startswith("whsec_")
        Webhook(secret)  # a secret the specification's library takes (it refuses a malformed one)
    await runner.upgrade(empty_database)
    assert await schema_differences(empty_database) == []


async def test_downgrade__the_secrets_dropped__the_clients_kept(empty_database: Database) -> None:
    await runner.upgrade(empty_database, "0018")
    await _seed_0018(empty_database)
    await runner.upgrade(empty_database, "0019")

    await runner.downgrade(empty_database, "0018")

    async with empty_database.transaction() as connection:
        columns = (await connection.execute(text("SELECT * FROM api_client ORDER BY client_id"))).keys()
        count = (await connection.execute(text("SELECT count(*) FROM api_client"))).scalar_one()
        orders = (await connection.execute(text("SELECT client_id FROM purchase_order"))).scalars().all()
    assert "callback_signing_secret" not in columns
    assert count == len(SHOPS)
    assert orders == ["shop-a"]
