"""Expanding a 100 000-recipient order into notifications, against a plain COPY of as many rows.

The order names 50 000 persons and 50 000 organisations (one e-mail address each) from the contact
register. orderdesk's figure is the whole expansion step: claim, look up every recipient, build the
notifications, COPY them in, update the order. The baseline is the COPY alone of rows of the same
shape into the same table. Both are rows per second, median of the rounds.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete

from bench.common import Comparison, fresh_database, timed
from orderdesk.contacts import repository as contacts
from orderdesk.contacts.models import Organization, Person
from orderdesk.core.db import Database, bulk_insert
from orderdesk.core.outbound import AddressPolicy, OutboundClient
from orderdesk.notifications.models import (
    Creator,
    EmailTemplate,
    NotificationChannel,
    OrderRequest,
    Recipient,
)
from orderdesk.notifications.providers.conditions import SendConditionChecker
from orderdesk.notifications.repository import queue
from orderdesk.notifications.rules.expansion import ExpansionRules
from orderdesk.notifications.service import orders as service
from orderdesk.notifications.tables import notification_email, notification_order
from orderdesk.notifications.tasks.processing import process_order


def _nin(index: int) -> str:
    return f"{10_000_000_000 + index:011d}"


def _org(index: int) -> str:
    return f"{800_000_000 + index:09d}"


async def load_register(database: Database, half: int) -> None:
    persons = [Person(_nin(i), name=f"Person {i}", email=f"person{i}@example.com") for i in range(half)]
    organizations = [
        Organization(_org(i), name=f"Org {i}", emails=[f"post{i}@example.org"]) for i in range(half)
    ]
    async with database.transaction() as connection:
        await contacts.upsert_persons(connection, persons)
        await contacts.upsert_organizations(connection, organizations)


async def register_order(database: Database, half: int) -> None:
    recipients = [Recipient(national_identity_number=_nin(i)) for i in range(half)] + [
        Recipient(organization_number=_org(i)) for i in range(half)
    ]
    request = OrderRequest(
        notification_channel=NotificationChannel.EMAIL,
        recipients=recipients,
        email_template=EmailTemplate("bench@example.com", "Hello $recipientName$", "Body"),
    )
    async with database.transaction() as connection:
        await service.register_order(
            connection,
            Creator("bench"),
            request,
            now=datetime.now(UTC),
            defaults=service.OrderDefaults("bench@example.com", "bench"),
            outbound=AddressPolicy(),
        )


async def expand_order(database: Database, checker: SendConditionChecker) -> None:
    async with database.transaction() as connection:
        [claim] = await queue.claim_due_orders(
            connection, now=datetime.now(UTC), limit=1, lease=timedelta(minutes=10)
        )
    await process_order(
        database,
        claim,
        now=datetime.now(UTC),
        rules=ExpansionRules(),
        checker=checker,
        condition_retry_delay=timedelta(seconds=60),
    )


async def _copy_baseline(database: Database, count: int) -> None:
    async with database.transaction() as connection:
        order_id = (await connection.execute(notification_order.select().limit(1))).first().id  # type: ignore[union-attr]
        now = datetime.now(UTC)
        rows = [
            {
                "id": uuid.uuid4(),
                "notification_order_id": order_id,
                "recipient_organization_number": None,
                "recipient_national_identity_number": _nin(i),
                "customized_body": None,
                "status": "New",
                "status_changed_at": now,
                "expires_at": now,
                "due_at": now,
                "attempts": 0,
                "to_address": f"person{i}@example.com",
                "customized_subject": f"Hello Person {i}",
            }
            for i in range(count)
        ]
        await bulk_insert(connection, notification_email, rows)


EXPANSION_SHORTFALL = (
    "the COPY is one step of orderdesk's expansion: before it, all 100,000 recipients are read from"
    " the contact register (persons and organisations by their numbers), checked against the"
    " reservation and address rules and built into rows in Python, and after it the order is"
    " updated; on the 2 cores PostgreSQL and that Python work compete"
)
"""Why the expansion could fall below 0.4x, said only if a run does."""


async def run(recipients: int = 100_000, rounds: int = 3) -> Comparison:
    _url, database = await fresh_database("expansion")
    checker = SendConditionChecker(OutboundClient(AddressPolicy()), 10)
    ours: list[float] = []
    baseline: list[float] = []
    try:
        await load_register(database, recipients // 2)
        for _ in range(rounds):
            await register_order(database, recipients // 2)
            ours.append(recipients / await timed(lambda: expand_order(database, checker)))
            baseline.append(recipients / await timed(lambda: _copy_baseline(database, recipients)))
            async with database.transaction() as connection:
                await connection.execute(delete(notification_email))
                await connection.execute(delete(notification_order))
    finally:
        await checker.aclose()
        await database.dispose()
    return Comparison(
        title=f"Expanding a {recipients:,}-recipient order (persons and organisations)",
        unit="rows/s",
        ours=ours,
        baseline=baseline,
        baseline_name="COPY of as many rows",
        target=0.4,
        shortfall=EXPANSION_SHORTFALL,
    )
