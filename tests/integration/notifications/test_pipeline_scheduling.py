"""When orders are carried out: at their send time and not before, never when cancelled, only if
their send condition agrees, SMS only in the daytime window; and what happens to what runs out of
time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from orderdesk.notifications.tasks.pipeline import NotificationPipeline
from tests.conftest import Clock
from tests.factories.notifications import email_order, sms_order
from tests.support.http_stub import HttpStub, http_stub
from tests.support.notifications_api import (
    DAYTIME,
    notifications,
    outbox_mail,
    outbox_sms,
    place,
    processing_status,
    status,
)

EVENING = datetime(2026, 11, 24, 19, 0, tzinfo=UTC)  # 20:00 in Oslo


@pytest.fixture
def stub() -> Iterator[HttpStub]:
    with http_stub() as running:
        yield running


async def test_order_in_the_future__waits_for_its_send_time(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    pipeline: NotificationPipeline,
    clock: Clock,
    outbox_home: Path,
) -> None:
    send_at = clock() + timedelta(hours=2)
    order_id = await place(client, auth, "/orders/email", email_order(requestedSendTime=send_at.isoformat()))

    await pipeline.run_until_idle()
    assert await processing_status(client, auth, order_id) == "Registered"
    assert outbox_mail(outbox_home) == []

    clock.set(send_at + timedelta(seconds=1))
    await pipeline.run_until_idle()
    assert await processing_status(client, auth, order_id) == "Completed"
    assert len(outbox_mail(outbox_home)) == 1


async def test_cancelled_order__never_processed(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    pipeline: NotificationPipeline,
    clock: Clock,
    outbox_home: Path,
) -> None:
    order_id = await place(client, auth, "/orders/email", email_order())
    cancelled = await client.put(f"/notifications/api/v1/orders/{order_id}/cancel", headers=auth)
    assert cancelled.status_code == 200

    clock.advance(timedelta(hours=3))
    await pipeline.run_until_idle()

    assert await processing_status(client, auth, order_id) == "Cancelled"
    assert (await notifications(client, auth, order_id, "email"))["generated"] == 0
    assert outbox_mail(outbox_home) == []


@pytest.mark.parametrize(
    ("answer", "expected_status", "sent"),
    [
        ('{"sendNotification": true}', "Completed", 1),
        ('{"sendNotification": false}', "SendConditionNotMet", 0),
    ],
)
async def test_send_condition__the_endpoint_decides(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    pipeline: NotificationPipeline,
    outbox_home: Path,
    stub: HttpStub,
    answer: str,
    expected_status: str,
    sent: int,
) -> None:
    endpoint = stub.answer("/condition", 200, answer)
    order_id = await place(
        client, auth, "/orders/email", email_order(requestedSendTime=None, conditionEndpoint=endpoint)
    )
    await pipeline.run_until_idle()

    assert stub.requests == ["/condition"]
    assert await processing_status(client, auth, order_id) == expected_status
    assert len(outbox_mail(outbox_home)) == sent


@pytest.mark.parametrize("answer", [(500, "{}"), (200, "not json"), (200, '{"other": 1}')])
async def test_send_condition__inconclusive__asked_again_after_the_delay_then_sent_anyway(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    pipeline: NotificationPipeline,
    clock: Clock,
    outbox_home: Path,
    stub: HttpStub,
    answer: tuple[int, str],
) -> None:
    endpoint = stub.answer("/condition", *answer)
    order_id = await place(
        client, auth, "/orders/email", email_order(requestedSendTime=None, conditionEndpoint=endpoint)
    )
    await pipeline.run_until_idle()
    assert await processing_status(client, auth, order_id) == "Registered"
    assert outbox_mail(outbox_home) == []

    clock.advance(timedelta(seconds=pipeline.settings.condition_retry_delay_seconds + 1))
    await pipeline.run_until_idle()

    assert stub.requests == ["/condition", "/condition"]
    assert await processing_status(client, auth, order_id) == "Completed"
    assert len(outbox_mail(outbox_home)) == 1


async def test_send_condition__endpoint_unreachable__treated_as_inconclusive(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    pipeline: NotificationPipeline,
    clock: Clock,
    outbox_home: Path,
) -> None:
    order_id = await place(
        client,
        auth,
        "/orders/email",
        email_order(requestedSendTime=None, conditionEndpoint="http://127.0.0.1:9/nothing-listens"),
    )
    await pipeline.run_until_idle()
    assert await processing_status(client, auth, order_id) == "Registered"

    clock.advance(timedelta(minutes=2))
    await pipeline.run_until_idle()
    assert await processing_status(client, auth, order_id) == "Completed"


async def test_sms_after_the_window__wait_until_it_opens_next_morning(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    pipeline: NotificationPipeline,
    clock: Clock,
    outbox_home: Path,
) -> None:
    clock.set(EVENING)
    order_id = await place(client, auth, "/orders/sms", sms_order(requestedSendTime=None))
    await pipeline.run_until_idle()

    [waiting] = (await notifications(client, auth, order_id, "sms"))["notifications"]
    assert waiting["sendStatus"]["status"] == "New"
    assert outbox_sms(outbox_home) == []
    assert await processing_status(client, auth, order_id) == "Completed"  # v1 shows Processed so

    clock.set(EVENING + timedelta(hours=14, minutes=30))  # 10:30 in Oslo next day
    await pipeline.run_until_idle()
    [sent] = (await notifications(client, auth, order_id, "sms"))["notifications"]
    assert sent["sendStatus"]["status"] == "Delivered"
    assert len(outbox_sms(outbox_home)) == 1


async def test_sms_never_sent_before_expiry__failed_and_the_order_completes(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    pipeline: NotificationPipeline,
    clock: Clock,
    outbox_home: Path,
) -> None:
    clock.set(EVENING)
    order_id = await place(client, auth, "/orders/sms", sms_order(requestedSendTime=None))
    await pipeline.run_until_idle()

    # The window opens 09:00 next day; the SMS lives 48 hours from then. Jump past that, at night.
    clock.set(EVENING + timedelta(hours=14 + 48 + 2))
    await pipeline.run_until_idle()

    [expired] = (await notifications(client, auth, order_id, "sms"))["notifications"]
    assert expired["sendStatus"]["status"] == "Failed"
    assert outbox_sms(outbox_home) == []
    body = await status(client, auth, order_id)
    assert body["processingStatus"]["status"] == "Completed"
    assert body["notificationsStatusSummary"]["sms"]["succeeded"] == 0


async def test_sms_in_the_window__sent_at_once(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    pipeline: NotificationPipeline,
    clock: Clock,
    outbox_home: Path,
) -> None:
    clock.set(DAYTIME)
    await place(client, auth, "/orders/sms", sms_order(requestedSendTime=None))
    await pipeline.run_until_idle()
    assert len(outbox_sms(outbox_home)) == 1
