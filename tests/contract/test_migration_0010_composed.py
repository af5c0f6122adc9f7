"""Migration 0010 marks the e-mails of composed orders, which existed before it, for their own dispatch
lane, and only those, on SQLite and PostgreSQL (and back again)."""

from __future__ import annotations

from sqlalchemy import text

from orderdesk.core.db import Database
from orderdesk.migrations import runner
from tests.contract.test_migrations import empty_database

__all__ = ["empty_database"]  # the fixture, shared with the other migration tests

_COMPOSED_ORDER, _PLAIN_ORDER = "a" * 32, "b" * 32
_COMPOSED_EMAIL, _PLAIN_EMAIL = "c" * 32, "d" * 32


async def _seed_0009(database: Database) -> None:
    """A composed order and a v1 e-mail order, each with one e-mail due."""
    orders = [
        "INSERT INTO notification_order (id, creator, requested_send_at, created_at, notification_channel,"
        " sending_time_policy, recipients, processing_status, status_changed_at, due_at, order_type)"
        f" VALUES ('{order_id}', 'ttd', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 'Email', 'Anytime', '[]',"
        f" 'Processed', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, '{order_type}')"
        for order_id, order_type in ((_COMPOSED_ORDER, "Composed"), (_PLAIN_ORDER, "Notification"))
    ]
    emails = [
        "INSERT INTO notification_email (id, notification_order_id, to_address, status,"
        " status_changed_at, expires_at, due_at)"
        f" VALUES ('{email_id}', '{order_id}', 'ola@example.com', 'New',"
        " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        for email_id, order_id in ((_COMPOSED_EMAIL, _COMPOSED_ORDER), (_PLAIN_EMAIL, _PLAIN_ORDER))
    ]
    statements = orders + emails
    async with database.transaction() as connection:
        for statement in statements:
            await connection.execute(text(statement))


async def test_upgrade__marks_the_emails_of_composed_orders_only__and_back(empty_database: Database) -> None:
    await runner.upgrade(empty_database, "0009")
    await _seed_0009(empty_database)

    await runner.upgrade(empty_database, "0010")

    async with empty_database.transaction() as connection:
        rows = (
            await connection.execute(text("SELECT id, composed FROM notification_email ORDER BY id"))
        ).all()
    assert [(str(row.id).replace("-", ""), bool(row.composed)) for row in rows] == [
        (_COMPOSED_EMAIL, True),
        (_PLAIN_EMAIL, False),
    ]

    await runner.downgrade(empty_database, "0009")
    async with empty_database.transaction() as connection:
        count = (await connection.execute(text("SELECT count(*) FROM notification_email"))).scalar_one()
    assert count == 2
