"""Finding 14: the dead delivery report table is bounded. Holders of the delivery-reports scope can
post reports for notifications that do not exist; past `dead_report_max_rows` such reports are counted
and not stored, a worker loop deletes those older than `dead_report_retention_hours`, and reports on
real notifications are applied whatever the table holds."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest
from sqlalchemy import func, select

from orderdesk.app import create_app
from orderdesk.auth.tokens import DELIVERY_REPORTS_WRITE_SCOPE
from orderdesk.core.db import Database
from orderdesk.core.wakeup import Wakeups
from orderdesk.notifications.tables import dead_delivery_report
from orderdesk.notifications.tasks.pipeline import NotificationPipeline
from orderdesk.settings import NotificationSettings, Settings
from tests.conftest import Clock, Tokens
from tests.factories.notifications import email_order
from tests.support.notifications_api import API, place
from tests.support.smtp_sink import SmtpSink

EMAIL_REPORTS = f"{API}/reports/email"
CAP = 5


def limited(settings: Settings, **values: Any) -> NotificationSettings:
    return settings.notifications.model_copy(update={"dead_report_max_rows": CAP, **values})


@pytest.fixture
async def capped(settings: Settings, database: Database, clock: Clock) -> AsyncIterator[httpx.AsyncClient]:
    """The API with a dead-letter table of at most CAP rows."""
    app = create_app(
        settings.model_copy(update={"notifications": limited(settings)}), clock=clock, database=database
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        yield http


@pytest.fixture
async def workers(
    database: Database, settings: Settings, clock: Clock, sink: SmtpSink
) -> AsyncIterator[NotificationPipeline]:
    """Workers with the same cap, sending e-mail by SMTP to a sink offering DSN: a sent e-mail stays
    Succeeded, awaiting its delivery report."""
    notification_settings = limited(
        settings,
        email_provider="smtp",
        smtp_host=sink.host,
        smtp_port=sink.port,
        smtp_bounce_address="bounces@orderdesk.test",
    )
    built = NotificationPipeline.build(
        database, notification_settings, settings.home, clock, Wakeups(), outbound=settings.outbound
    )
    yield built
    await built.aclose()


@pytest.fixture
def reporter(tokens: Tokens) -> dict[str, str]:
    return tokens.bearer("mailprovider", scopes=(DELIVERY_REPORTS_WRITE_SCOPE,))


async def rows(database: Database) -> int:
    async with database.transaction() as connection:
        count: int = (
            await connection.execute(select(func.count()).select_from(dead_delivery_report))
        ).scalar_one()
    return count


async def post_unknown(http: httpx.AsyncClient, reporter: dict[str, str], count: int) -> dict[str, Any]:
    """Reports on notifications that never existed, as a hostile reporter sends them."""
    reports = [{"notificationId": str(uuid4()), "status": "Delivered"} for _ in range(count)]
    response = await http.post(EMAIL_REPORTS, json=reports, headers=reporter)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def test_dead_reports_past_the_cap__counted_and_not_stored__the_table_does_not_grow(
    capped: httpx.AsyncClient, reporter: dict[str, str], database: Database
) -> None:
    first = await post_unknown(capped, reporter, CAP + 3)
    assert await rows(database) == CAP

    flood = [await post_unknown(capped, reporter, 1000) for _ in range(3)]

    assert await rows(database) == CAP
    assert first == {
        "applied": 0,
        "deadLettered": CAP + 3,
        "deadLetterReasons": {"INVALID_NOTIFICATION_IDENTIFIER": CAP + 3},
        "deadLettersDropped": 3,
    }
    assert [answer["deadLettersDropped"] for answer in flood] == [1000, 1000, 1000]
    assert [answer["deadLettered"] for answer in flood] == [1000, 1000, 1000]


async def test_table_full__reports_on_real_notifications__still_applied(
    capped: httpx.AsyncClient,
    auth: dict[str, str],
    reporter: dict[str, str],
    workers: NotificationPipeline,
    database: Database,
) -> None:
    order_id = await place(capped, auth, "/orders/email", email_order(requestedSendTime=None))
    await workers.run_until_idle()
    listed = await capped.get(f"{API}/orders/{order_id}/notifications/email", headers=auth)
    [sent] = listed.json()["notifications"]
    assert sent["sendStatus"]["status"] == "Succeeded"
    await post_unknown(capped, reporter, CAP + 10)

    response = await capped.post(
        EMAIL_REPORTS,
        json=[
            {"notificationId": sent["id"], "status": "Delivered"},
            {"notificationId": str(uuid4()), "status": "Delivered"},
        ],
        headers=reporter,
    )

    assert response.status_code == 200
    assert response.json()["applied"] == 1
    assert response.json()["deadLettersDropped"] == 1
    after = await capped.get(f"{API}/orders/{order_id}/notifications/email", headers=auth)
    assert after.json()["notifications"][0]["sendStatus"]["status"] == "Delivered"
    assert await rows(database) == CAP


async def test_dead_reports_past_retention__removed_by_the_worker_in_batches__newer_ones_kept(
    settings: Settings, database: Database, clock: Clock, reporter: dict[str, str]
) -> None:
    notification_settings = limited(settings, dead_report_max_rows=10_000, dead_report_retention_hours=72)
    app = create_app(
        settings.model_copy(update={"notifications": notification_settings}), clock=clock, database=database
    )
    workers = NotificationPipeline.build(
        database, notification_settings, settings.home, clock, Wakeups(), outbound=settings.outbound
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        for _ in range(3):  # more than one batch of the worker
            await post_unknown(http, reporter, 1000)
        clock.advance(timedelta(hours=48))
        await post_unknown(http, reporter, 7)
        clock.advance(timedelta(hours=25))  # the first 3000 are 73 hours old, the last 7 are 25
        assert await rows(database) == 3007

        await workers.run_until_idle()

        assert await rows(database) == 7
        # What was freed is room again.
        assert (await post_unknown(http, reporter, 3))["deadLettersDropped"] == 0
        assert await rows(database) == 10
    await workers.aclose()


async def test_more_rows_than_the_cap__the_worker_removes_the_oldest_beyond_it(
    settings: Settings, database: Database, clock: Clock, reporter: dict[str, str], client: httpx.AsyncClient
) -> None:
    # The cap was lowered, or requests at the same moment each found room: the worker trims.
    await post_unknown(client, reporter, CAP + 4)
    newest = await _ids(database)
    workers = NotificationPipeline.build(
        database, limited(settings), settings.home, clock, Wakeups(), outbound=settings.outbound
    )

    await workers.run_until_idle()
    await workers.aclose()

    assert await _ids(database) == newest[-CAP:]


async def _ids(database: Database) -> list[int]:
    async with database.transaction() as connection:
        found = await connection.execute(
            select(dead_delivery_report.c.id).order_by(dead_delivery_report.c.id)
        )
        return list(found.scalars())


async def test_huge_dead_report__kept_as_a_summary_of_its_identity_and_size(
    capped: httpx.AsyncClient, reporter: dict[str, str], database: Database
) -> None:
    unknown = str(uuid4())
    report = {"notificationId": unknown, "status": "Delivered", "padding": "x" * 100_000}

    response = await capped.post(EMAIL_REPORTS, json=report, headers=reporter)

    assert response.status_code == 200
    assert response.json()["deadLettered"] == 1
    async with database.transaction() as connection:
        [kept] = (await connection.execute(select(dead_delivery_report.c.report))).scalars()
    assert kept["notificationId"] == unknown
    assert kept["status"] == "Delivered"
    assert "padding" not in kept
    assert kept["truncated"]["characters"] > 100_000
