"""An order intake's write outside any transaction: stored, and this process's workers woken, on the
driver lane (PostgreSQL from a pool of four) and without it (SQLite, a pool of two)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from orderdesk.core import topics
from orderdesk.core.db import Database
from orderdesk.core.outbound import AddressPolicy
from orderdesk.core.wakeup import Wakeups
from orderdesk.notifications.models import (
    Creator,
    EmailTemplate,
    NotificationChannel,
    OrderProcessingStatus,
    OrderRequest,
    Recipient,
    RecipientLookupStatus,
)
from orderdesk.notifications.service import orders as service

CREATOR = Creator("ttd")
DEFAULTS = service.OrderDefaults("noreply@example.com", "orderdesk")


@pytest.fixture(params=[2, 10], ids=["pool_of_2", "pool_of_10"])
async def placing(
    request: pytest.FixtureRequest, migrated_database: tuple[str, Database], database: Database
) -> AsyncIterator[Database]:
    """A Database of its own on the session's (migrated, emptied after the test) database."""
    url, _shared = migrated_database
    own = Database.from_url(url, pool_size=request.param)
    if request.param == 10 and own.dialect == "postgresql":
        assert own.lane is not None
    else:
        assert own.lane is None
    yield own
    await own.dispose()


def _order(*recipients: Recipient) -> OrderRequest:
    return OrderRequest(
        notification_channel=NotificationChannel.EMAIL,
        recipients=list(recipients),
        email_template=EmailTemplate("", "Subject", "Body"),
    )


async def test_place_order__stored_as_registered_and_workers_here_woken(placing: Database) -> None:
    woken = asyncio.Event()
    Wakeups().attach(placing).subscribe(topics.NOTIFICATION_ORDERS, woken)

    registration = await service.place_order(
        placing,
        CREATOR,
        _order(Recipient(email_address="a@example.com")),
        now=datetime.now(UTC),
        defaults=DEFAULTS,
        outbound=AddressPolicy(),
    )

    assert woken.is_set()
    assert registration.recipient_lookup is None
    async with placing.read() as connection:
        stored = await service.get_order(connection, CREATOR, registration.order_id)
    assert stored.processing_status is OrderProcessingStatus.REGISTERED
    assert [recipient.email_address for recipient in stored.recipients] == ["a@example.com"]
    assert stored.email_template is not None
    assert stored.email_template.from_address == "noreply@example.com"


async def test_place_order_naming_a_person__the_register_asked_before_storing(placing: Database) -> None:
    registration = await service.place_order(
        placing,
        CREATOR,
        _order(Recipient(national_identity_number="07837399275")),
        now=datetime.now(UTC),
        defaults=DEFAULTS,
        outbound=AddressPolicy(),
    )

    assert registration.recipient_lookup is not None
    assert registration.recipient_lookup.status is RecipientLookupStatus.FAILED
    assert registration.recipient_lookup.missing_contact == ["07837399275"]
    async with placing.read() as connection:
        stored = await service.get_order(connection, CREATOR, registration.order_id)
    assert stored.processing_status is OrderProcessingStatus.REGISTERED
