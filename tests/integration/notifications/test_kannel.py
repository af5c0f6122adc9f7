"""SMS through Kannel. With a real bearerbox + smsbox + fakesmsc: an order placed over HTTP reaches the
SMSC, Kannel calls the dlr-url back over real HTTP, and the notification ends Delivered. Against a
peer answering like smsbox's sendsms: what orderdesk asks of Kannel, and what each answer leads to.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from orderdesk.app import create_app
from orderdesk.core.db import Database
from orderdesk.core.wakeup import Wakeups
from orderdesk.notifications.tasks.pipeline import NotificationPipeline
from orderdesk.settings import Settings
from tests.conftest import Clock
from tests.factories.notifications import sms_order
from tests.support.kannel import (
    KannelGateway,
    SendsmsPeer,
    kannel_gateway,
    kannel_notification_settings,
    sendsms_peer,
)
from tests.support.serving import served
from tests.support.waiting import eventually
from tests.support.workers import free_port

API = "/notifications/api/v1"
DAYTIME = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # 11:00 in Oslo
DEADLINE_SECONDS = 30.0


async def place(http: httpx.AsyncClient, auth: dict[str, str], body: dict[str, Any]) -> str:
    response = await http.post(f"{API}/orders/sms", json=body, headers=auth)
    assert response.status_code == 202, response.text
    order_id: str = response.json()["orderId"]
    return order_id


async def sms_notification(http: httpx.AsyncClient, auth: dict[str, str], order_id: str) -> dict[str, Any]:
    response = await http.get(f"{API}/orders/{order_id}/notifications/sms", headers=auth)
    assert response.status_code == 200
    [only] = response.json()["notifications"]
    found: dict[str, Any] = only
    return found


async def order_status(http: httpx.AsyncClient, auth: dict[str, str], order_id: str) -> dict[str, Any]:
    response = await http.get(f"{API}/orders/{order_id}/status", headers=auth)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


# --- With a real Kannel ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KannelGateway]:
    with kannel_gateway(tmp_path_factory.mktemp("kannel")) as running:
        yield running


@pytest.fixture
async def kannel_service(
    gateway: KannelGateway, settings: Settings, database: Database, clock: Clock
) -> AsyncIterator[tuple[httpx.AsyncClient, NotificationPipeline]]:
    """The API served over real HTTP (Kannel calls it back) and workers sending through Kannel."""
    async with served(create_app(settings, clock=clock, database=database)) as base_url:
        notification_settings = kannel_notification_settings(
            settings.notifications, sendsms_url=gateway.sendsms_url, public_base_url=base_url
        )
        pipeline = NotificationPipeline.build(
            database, notification_settings, settings.home, clock, Wakeups(), outbound=settings.outbound
        )
        try:
            async with httpx.AsyncClient(base_url=base_url) as http:
                yield http, pipeline
        finally:
            await pipeline.aclose()


def unique_number() -> str:
    """A Norwegian mobile number no other test sends to: the gateway serves the whole module."""
    return f"+479{secrets.randbelow(10**7):07d}"


async def send_through_kannel(
    kannel_service: tuple[httpx.AsyncClient, NotificationPipeline],
    gateway: KannelGateway,
    auth: dict[str, str],
    clock: Clock,
    *,
    number: str,
    text: str,
) -> tuple[str, str]:
    """Place an SMS order over HTTP and let the workers hand it to Kannel; order id and SMSC text."""
    http, pipeline = kannel_service
    clock.set(DAYTIME)
    order_id = await place(
        http,
        auth,
        sms_order(
            requestedSendTime=None, senderNumber="Orderdesk", recipients=[{"mobileNumber": number}], body=text
        ),
    )
    await pipeline.run_until_idle()

    async def arrived() -> str | None:
        return next((m.text for m in gateway.messages() if m.receiver == number), None)

    try:
        received = await eventually(
            arrived, what=f"fakesmsc to receive the SMS to {number}", within=DEADLINE_SECONDS, every=0.1
        )
    except AssertionError as error:
        raise AssertionError(f"{error}\n{gateway.logs()}") from None
    return order_id, received


@pytest.mark.slow
async def test_sms_order__through_kannel__reaches_the_smsc_and_its_delivery_report_completes_the_order(
    kannel_service: tuple[httpx.AsyncClient, NotificationPipeline],
    gateway: KannelGateway,
    auth: dict[str, str],
    clock: Clock,
) -> None:
    http, _pipeline = kannel_service

    order_id, received = await send_through_kannel(
        kannel_service,
        gateway,
        auth,
        clock,
        number=(number := unique_number()),
        text="Hei Åse, pakken er klar!",
    )

    assert received == "Hei Åse, pakken er klar!"
    [message] = [m for m in gateway.messages() if m.receiver == number]
    assert message.sender == "Orderdesk"

    async def delivered() -> dict[str, Any] | None:
        notification = await sms_notification(http, auth, order_id)
        return notification if notification["sendStatus"]["status"] == "Delivered" else None

    notification = await eventually(
        delivered, what="Kannel's delivery report", within=DEADLINE_SECONDS, every=0.1
    )
    assert notification["succeeded"] is True
    assert notification["recipient"]["mobileNumber"] == number
    status = await order_status(http, auth, order_id)
    assert status["processingStatus"]["status"] == "Completed"
    sms = status["notificationsStatusSummary"]["sms"]
    assert (sms["generated"], sms["succeeded"]) == (1, 1)


@pytest.mark.slow
async def test_sms_order__text_outside_the_gsm_alphabet__reaches_the_smsc_intact_as_ucs2(
    kannel_service: tuple[httpx.AsyncClient, NotificationPipeline],
    gateway: KannelGateway,
    auth: dict[str, str],
    clock: Clock,
) -> None:
    text = "Привет \u2013 ваш заказ готов"

    _order_id, received = await send_through_kannel(
        kannel_service, gateway, auth, clock, number=(number := unique_number()), text=text
    )

    assert received == text
    [message] = [m for m in gateway.messages() if m.receiver == number]
    assert message.coding == "ucs-2"


# --- Against a peer that answers like smsbox's sendsms -------------------------------------------------


@pytest.fixture
def peer() -> Iterator[SendsmsPeer]:
    with sendsms_peer() as running:
        yield running


def build_pipeline(
    database: Database, settings: Settings, clock: Clock, sendsms_url: str
) -> NotificationPipeline:
    notification_settings = kannel_notification_settings(
        settings.notifications, sendsms_url=sendsms_url, public_base_url="https://orderdesk.example"
    )
    return NotificationPipeline.build(
        database, notification_settings, settings.home, clock, Wakeups(), outbound=settings.outbound
    )


@pytest.fixture
async def pipeline(
    database: Database, settings: Settings, clock: Clock, peer: SendsmsPeer
) -> AsyncIterator[NotificationPipeline]:
    built = build_pipeline(database, settings, clock, peer.url)
    yield built
    await built.aclose()


async def placed_and_sent(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    pipeline: NotificationPipeline,
    clock: Clock,
    **order: Any,
) -> tuple[str, dict[str, Any]]:
    clock.set(DAYTIME)
    order_id = await place(client, auth, sms_order(requestedSendTime=None, **order))
    await pipeline.run_until_idle()
    return order_id, await sms_notification(client, auth, order_id)


@pytest.mark.parametrize(
    ("text", "coding"),
    [("Hei på deg, {æøå} €", "0"), ("Привет 😀", "2")],
    ids=["gsm", "ucs2"],
)
async def test_kannel_provider__sendsms_request__carries_the_message_and_a_signed_dlr_url(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    pipeline: NotificationPipeline,
    clock: Clock,
    peer: SendsmsPeer,
    text: str,
    coding: str,
) -> None:
    _order_id, notification = await placed_and_sent(
        client, auth, pipeline, clock, senderNumber="Orderdesk", body=text
    )

    [request] = peer.requests
    assert request["username"] == "orderdesk"
    assert request["password"] == "kannel-test-password"
    assert (request["from"], request["to"], request["text"]) == ("Orderdesk", "+4799999999", text)
    assert (request["charset"], request["coding"], request["dlr-mask"]) == ("UTF-8", coding, "31")
    assert request["dlr-url"].startswith(
        f"https://orderdesk.example{API}/reports/kannel?id={notification['id']}&sig="
    )
    assert request["dlr-url"].endswith("&type=%d&answer=%A")
    assert notification["sendStatus"]["status"] == "Accepted"


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (202, "0: Accepted for delivery", "Accepted"),
        (202, "3: Queued for later delivery", "Accepted"),
        (400, "Number(s) has/have been denied by white- and/or black-lists.", "Failed_InvalidRecipient"),
        (400, "Empty receiver number not allowed, rejected", "Failed_InvalidRecipient"),
        (400, "Coding field misformed, rejected", "Failed"),
        (403, "Not routable. Do not try again.", "Failed"),
    ],
)
async def test_kannel_provider__final_answer__decides_the_status(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    pipeline: NotificationPipeline,
    clock: Clock,
    peer: SendsmsPeer,
    status: int,
    body: str,
    expected: str,
) -> None:
    peer.answer_next(status, body)

    order_id, notification = await placed_and_sent(client, auth, pipeline, clock)

    assert notification["sendStatus"]["status"] == expected
    assert len(peer.requests) == 1
    if expected != "Accepted":
        assert (await order_status(client, auth, order_id))["processingStatus"]["status"] == "Completed"


@pytest.mark.parametrize(
    ("status", "body", "headers"),
    [
        (503, "Temporal failure, try again later.", {"Retry-After": "120"}),
        (503, "Temporal failure, try again later.", {}),
        (403, "Authorization failed for sendsms", {}),
    ],
    ids=["queue-full-retry-after", "queue-full", "login-refused"],
)
async def test_kannel_provider__gateway_asks_for_a_pause__retried_after_it_and_not_before(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    pipeline: NotificationPipeline,
    clock: Clock,
    peer: SendsmsPeer,
    status: int,
    body: str,
    headers: dict[str, str],
) -> None:
    peer.answer_next(status, body, headers)

    order_id, notification = await placed_and_sent(client, auth, pipeline, clock)
    assert notification["sendStatus"]["status"] == "New"

    clock.advance(timedelta(seconds=30))
    await pipeline.run_until_idle()
    assert len(peer.requests) == 1, "nothing is sent while the provider is paused"

    clock.advance(timedelta(seconds=120))
    await pipeline.run_until_idle()
    assert len(peer.requests) == 2
    assert (await sms_notification(client, auth, order_id))["sendStatus"]["status"] == "Accepted"


async def test_kannel_provider__server_error__retried_with_back_off(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    pipeline: NotificationPipeline,
    clock: Clock,
    peer: SendsmsPeer,
) -> None:
    peer.answer_next(500, "Internal error")

    order_id, notification = await placed_and_sent(client, auth, pipeline, clock)
    assert notification["sendStatus"]["status"] == "New"

    clock.advance(timedelta(minutes=1))
    await pipeline.run_until_idle()
    assert (await sms_notification(client, auth, order_id))["sendStatus"]["status"] == "Accepted"
    assert len(peer.requests) == 2


async def test_kannel_provider__gateway_unreachable__stays_new_for_a_later_attempt(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    database: Database,
    settings: Settings,
    clock: Clock,
) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}/cgi-bin/sendsms"
    pipeline = build_pipeline(database, settings, clock, nowhere)
    try:
        _order_id, notification = await placed_and_sent(client, auth, pipeline, clock)
    finally:
        await pipeline.aclose()

    assert notification["sendStatus"]["status"] == "New"
    assert notification["succeeded"] is False


def test_kannel_programs__missing_and_required__fails_instead_of_skipping(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Runs the real lookup with an empty PATH and no fakesmsc: skipped locally, failed in CI.
    import tests.support.kannel as kannel

    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(kannel, "FAKESMSC_PLACES", ())
    monkeypatch.setattr(kannel, "SBIN_PLACES", ())
    monkeypatch.setattr(kannel, "REQUIRE_KANNEL", True)
    with pytest.raises(pytest.fail.Exception, match="ORDERDESK_TEST_REQUIRE_KANNEL=1"):
        kannel.kannel_programs()
    monkeypatch.setattr(kannel, "REQUIRE_KANNEL", False)
    with pytest.raises(pytest.skip.Exception):
        kannel.kannel_programs()
