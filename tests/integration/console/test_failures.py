"""The console's failures page through HTTP, on SQLite and PostgreSQL: failed notifications counted
under their reason and listed, a page at a time, with a link to their order; delivery reports that
could not be applied, linked to the order of the notification they name; data-order files in error.
(Failing purchase callbacks: test_purchases.py.)"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from uuid import uuid4

import httpx
import pytest

from orderdesk.console import paging
from orderdesk.console.models import Role
from orderdesk.core.db import Database
from orderdesk.dataorders.tasks import StagingWorker
from orderdesk.notifications.tasks.pipeline import NotificationPipeline
from tests.conftest import Clock, Tokens
from tests.factories import contacts
from tests.factories.notifications import email_order
from tests.integration.console.reading import assert_refused_page, every_page, linked_ids
from tests.integration.dataorders import conftest as dataorder_fixtures
from tests.integration.dataorders.flow import order_all, stage_everything
from tests.integration.notifications import conftest as notification_fixtures
from tests.support.console import signed_in
from tests.support.notifications_api import API, DAYTIME, notifications, place

# The family tests' own fixtures (the notification workers; a catalogue on disk, its user and the
# staging worker), as they are: pytest finds the fixtures a test module holds.
outbox_home = notification_fixtures.outbox_home
pipeline = notification_fixtures.pipeline
catalog = dataorder_fixtures.catalog
small_suborders = dataorder_fixtures.small_suborders
user = dataorder_fixtures.user
worker = dataorder_fixtures.worker

FAILURES = "/console/failures"
RESERVED = f"{FAILURES}/notifications?channel=email&reason=Failed_RecipientReserved"


@pytest.fixture(autouse=True)
async def register(database: Database, clock: Clock) -> None:
    """Contacts known to the register, one of them reserved; the clock in the SMS window."""
    clock.set(DAYTIME)
    await contacts.load(database)


async def to_the_reserved_person(client: httpx.AsyncClient, auth: dict[str, str]) -> str:
    """An e-mail order to a person who is reserved against digital contact (sent at once)."""
    body = email_order(
        requestedSendTime=None, recipients=[{"nationalIdentityNumber": contacts.PERSON_RESERVED}]
    )
    return await place(client, auth, "/orders/email", body)


async def test_failed_notification__counted_under_its_reason__listed_with_a_link_to_its_order(
    client: httpx.AsyncClient,
    database: Database,
    clock: Clock,
    auth: dict[str, str],
    pipeline: NotificationPipeline,
) -> None:
    order_id = await to_the_reserved_person(client, auth)
    await pipeline.run_until_idle()
    await signed_in(client, database, clock, "viewer@example.org", Role.VIEWER)

    summary = await client.get(FAILURES)
    listed = await client.get(RESERVED)

    assert summary.status_code == 200
    assert 'reason=Failed_RecipientReserved">Failed_RecipientReserved</a>' in summary.text
    assert '<td class="count">1</td>' in summary.text
    assert "reserved themselves against digital communication" in summary.text
    assert listed.status_code == 200
    assert linked_ids(listed, "/console/orders") == [order_id]
    assert contacts.PERSON_RESERVED in listed.text  # no address: the person it was for


async def test_failed_notifications__paged_with_a_cursor__newest_first__none_twice(
    client: httpx.AsyncClient,
    database: Database,
    clock: Clock,
    auth: dict[str, str],
    pipeline: NotificationPipeline,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    placed = []
    for _ in range(5):
        placed.append(await to_the_reserved_person(client, auth))
        await pipeline.run_until_idle()
        clock.advance(timedelta(seconds=1))  # each fails a second after the one before
    await signed_in(client, database, clock, "viewer@example.org", Role.VIEWER)
    monkeypatch.setattr(paging, "PAGE_SIZE", 2)

    assert await every_page(client, RESERVED, "/console/orders") == list(reversed(placed))


async def test_dead_delivery_reports__listed__linked_to_the_order_of_the_notification_they_name(
    client: httpx.AsyncClient,
    database: Database,
    clock: Clock,
    auth: dict[str, str],
    tokens: Tokens,
    pipeline: NotificationPipeline,
) -> None:
    order_id = await to_the_reserved_person(client, auth)
    await pipeline.run_until_idle()
    notification_id = (await notifications(client, auth, order_id, "email"))["notifications"][0]["id"]
    for named in (notification_id, str(uuid4())):
        report = {"notificationId": named, "status": "Delivered"}
        answer = await client.post(f"{API}/reports/email", json=report, headers=tokens.reporter())
        assert answer.json()["deadLettered"] == 1
    await signed_in(client, database, clock, "viewer@example.org", Role.VIEWER)

    summary = await client.get(FAILURES)
    listed = await client.get(f"{FAILURES}/delivery-reports")

    for page in (summary, listed):
        assert "ALREADY_FINAL" in page.text
        assert "INVALID_NOTIFICATION_IDENTIFIER" in page.text
        assert linked_ids(page, "/console/orders") == [order_id]  # the unknown one links nowhere
    assert notification_id in listed.text  # the report as it came


async def test_data_file_in_error__on_the_failures_page__linked_to_its_order(
    client: httpx.AsyncClient,
    database: Database,
    clock: Clock,
    user: dict[str, str],
    worker: StagingWorker,
    catalog: Path,
) -> None:
    order_id = await order_all(client, user, "ds1")
    (catalog / "B" / "b1.txt").unlink()
    await stage_everything(worker)
    await signed_in(client, database, clock, "viewer@example.org", Role.VIEWER)

    for page in (await client.get(FAILURES), await client.get(f"{FAILURES}/data-files")):
        assert linked_ids(page, "/console/data-orders") == [str(order_id)]
        assert "b1.txt" in page.text
        assert "Could not stage the file" in page.text
        assert "ola@example.com" in page.text


@pytest.mark.usefixtures("viewer")
async def test_failures_page__nothing_failed__says_so(client: httpx.AsyncClient) -> None:
    summary = await client.get(FAILURES)

    assert summary.status_code == 200
    assert "No notification has failed." in summary.text
    for path in ("/delivery-reports", "/callbacks", "/data-files"):
        assert (await client.get(f"{FAILURES}{path}")).status_code == 200


@pytest.mark.usefixtures("viewer")
@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("", "reason"),
        ("?channel=fax&reason=Failed", "channel"),
        ("?channel=email&reason=Delivered", "reason"),
        ("?channel=sms&reason=Failed_Bounced", "reason"),  # an e-mail reason
        ("?channel=email&reason=Failed&cursor=abc", "cursor"),
        ("?channel=email&reason=Failed&cursor=WyJub3QgYSB0aW1lIiwiaWQiXQ", "cursor"),
    ],
)
async def test_failed_notifications__bad_channel_reason_or_cursor__400_page_naming_it(
    client: httpx.AsyncClient, query: str, named: str
) -> None:
    answer = await client.get(f"{FAILURES}/notifications{query}")

    assert_refused_page(answer, 400, f"{named}:")


@pytest.mark.usefixtures("viewer")
@pytest.mark.parametrize("path", ["/delivery-reports", "/callbacks", "/data-files"])
async def test_lists__bad_cursor__400_page(client: httpx.AsyncClient, path: str) -> None:
    answer = await client.get(f"{FAILURES}{path}", params={"cursor": "!!"})

    assert_refused_page(answer, 400, "cursor:")


async def test_failures_pages__without_a_session__303_to_sign_in(client: httpx.AsyncClient) -> None:
    for path in ("", "/notifications", "/delivery-reports", "/callbacks", "/data-files"):
        answer = await client.get(f"{FAILURES}{path}")
        assert (answer.status_code, answer.headers["location"]) == (303, "/console/sign-in")
