"""A status read costs one indexed lookup however many notifications the order has."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import text, update

from orderdesk.core.db import Database
from orderdesk.notifications.tables import notification_email, notification_order
from tests.factories.notifications import email_order
from tests.support.statements import counting_statements

API = "/notifications/api/v1"


async def _order_with_notifications(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database, count: int
) -> str:
    response = await client.post(f"{API}/orders/email", json=email_order(), headers=auth)
    order_id = uuid.UUID(response.json()["orderId"])
    now = datetime.now(UTC)
    rows = [
        {
            "id": uuid.uuid4(),
            "notification_order_id": order_id,
            "to_address": f"r{i}@example.com",
            "status": "Delivered" if i % 2 else "New",
            "status_changed_at": now,
            "expires_at": now + timedelta(hours=48),
            "due_at": now,
        }
        for i in range(count)
    ]
    async with database.transaction() as connection:
        await connection.execute(notification_email.insert(), rows)
        await connection.execute(
            update(notification_order)
            .where(notification_order.c.id == order_id)
            .values(email_generated=count, email_succeeded=count // 2, processing_status="Processed")
        )
    return str(order_id)


async def test_get_status__order_with_five_thousand_notifications__one_statement(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database
) -> None:
    order_id = await _order_with_notifications(client, auth, database, 5000)
    first = await client.get(f"{API}/orders/{order_id}/status", headers=auth)
    assert first.status_code == 200  # the connections a read takes are open before the count

    async with counting_statements(database) as statements:
        response = await client.get(f"{API}/orders/{order_id}/status", headers=auth)

    assert response.status_code == 200
    body = response.json()
    assert body["processingStatus"]["status"] == "Completed"  # Processed is shown as Completed in v1
    assert body["notificationsStatusSummary"]["email"]["generated"] == 5000
    assert body["notificationsStatusSummary"]["email"]["succeeded"] == 2500
    assert "sms" not in body["notificationsStatusSummary"]
    assert [s for s in statements if "notification_order" in s] == statements
    assert len(statements) == 1


async def test_get_status__with_many_orders__uses_the_primary_key(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database, backend: str
) -> None:
    """Each backend's own plan: PostgreSQL's EXPLAIN names the primary key's index; SQLite's
    EXPLAIN QUERY PLAN searches by `id` through an index (its automatic one for the primary key),
    never a scan of the table."""
    order_id = uuid.UUID(await _order_with_notifications(client, auth, database, 10))
    async with database.transaction() as connection:
        template = (
            (await connection.execute(notification_order.select().where(notification_order.c.id == order_id)))
            .mappings()
            .one()
        )
        await connection.execute(
            notification_order.insert(), [{**template, "id": uuid.uuid4()} for _ in range(3000)]
        )
        await connection.execute(text("ANALYZE notification_order"))
        explain = "EXPLAIN" if backend == "postgres" else "EXPLAIN QUERY PLAN"
        plan = await connection.execute(
            text(f"{explain} SELECT * FROM notification_order WHERE id = :id AND creator = 'ttd'"),
            {"id": order_id if backend == "postgres" else order_id.hex},
        )
        lines = "\n".join(str(row[-1]) for row in plan)
    if backend == "postgres":
        assert "pk_notification_order" in lines, lines
    else:
        assert "SEARCH notification_order USING INDEX" in lines, lines
        assert "(id=?)" in lines, lines
        assert "SCAN" not in lines, lines


async def test_get_status__order_of_two_thousand_recipients__recipient_list_left_unread(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database
) -> None:
    """The recipient list is as large as the order: reading it made a status read of a 10 000-recipient
    order seven times slower than one of 100 (bench/growth.py)."""
    recipients = [{"emailAddress": f"r{i}@example.com"} for i in range(2000)]
    placed = await client.post(f"{API}/orders/email", json=email_order(recipients=recipients), headers=auth)
    assert placed.status_code == 202, placed.text

    async with counting_statements(database) as statements:
        response = await client.get(f"{API}/orders/{placed.json()['orderId']}/status", headers=auth)

    assert response.status_code == 200
    [statement] = statements
    assert "recipients" not in statement
    assert "email_template" not in statement
