"""Instant SMS through Kannel: with a real bearerbox + smsbox + fakesmsc the SMS reaches the SMSC before
the answer and Kannel's delivery report (over real HTTP) completes the order; against a peer answering
like smsbox, the notification waits Accepted for its report, and a gateway that is down or refusing
gets a 503 NOT-00004 with nothing stored, the same id going through once it is back."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from orderdesk.app import create_app
from orderdesk.core.db import Database
from orderdesk.settings import Settings
from tests.conftest import Clock
from tests.integration.notifications.instant_support import (
    INSTANT_SMS,
    running,
    sms_body,
    stored_counts,
    stored_notification,
    stored_order,
    unique_id,
    unique_number,
)
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

DEADLINE_SECONDS = 30.0


@asynccontextmanager
async def kannel_api(
    settings: Settings, database: Database, clock: Clock, sendsms_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    """The API over HTTP, its instant SMS sent through the Kannel at `sendsms_url`."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    notifications = kannel_notification_settings(
        settings.notifications, sendsms_url=sendsms_url, public_base_url=base_url
    )
    app_settings = settings.model_copy(update={"notifications": notifications})
    app = create_app(app_settings, clock=clock, database=database)
    async with running(app), served(app, port), httpx.AsyncClient(base_url=base_url) as http:
        yield http


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KannelGateway]:
    with kannel_gateway(tmp_path_factory.mktemp("kannel")) as running_gateway:
        yield running_gateway


@pytest.fixture
def peer() -> Iterator[SendsmsPeer]:
    with sendsms_peer() as running_peer:
        yield running_peer


@pytest.mark.slow
async def test_instant_sms__through_kannel__reaches_the_smsc_and_its_report_completes_the_order(
    gateway: KannelGateway, settings: Settings, database: Database, clock: Clock, auth: dict[str, str]
) -> None:
    number = unique_number()
    async with kannel_api(settings, database, clock, gateway.sendsms_url) as http:
        response = await http.post(INSTANT_SMS, json=sms_body(number=number, text="Kode: 7351"), headers=auth)
        assert response.status_code == 201, response.text
        shipment_id = response.json()["notification"]["shipmentId"]

        async def arrived() -> Any:
            return next((m for m in gateway.messages() if m.receiver == number), None)

        message = await eventually(arrived, what="fakesmsc to receive the SMS", within=DEADLINE_SECONDS)
        assert (message.sender, message.text) == ("Orderdesk", "Kode: 7351")

        async def completed() -> bool:
            status: str = (await stored_order(database, shipment_id))["processing_status"]
            return status == "Completed"

        try:
            await eventually(completed, what="Kannel's delivery report", within=DEADLINE_SECONDS, every=0.1)
        except AssertionError as error:
            raise AssertionError(f"{error}\n{gateway.logs()}") from None

    notification = await stored_notification(database, "sms", shipment_id)
    assert notification["status"] == "Delivered"
    assert notification["delivery_report"]["provider"] == "kannel"
    assert len([m for m in gateway.messages() if m.receiver == number]) == 1


async def test_instant_sms__kannel_accepts__accepted_until_the_delivery_report__then_delivered_and_completed(
    peer: SendsmsPeer, settings: Settings, database: Database, clock: Clock, auth: dict[str, str]
) -> None:
    number = unique_number()
    async with kannel_api(settings, database, clock, peer.url) as http:
        response = await http.post(INSTANT_SMS, json=sms_body(number=number, ttl=120), headers=auth)
        assert response.status_code == 201, response.text
        shipment_id = response.json()["notification"]["shipmentId"]

        notification = await stored_notification(database, "sms", shipment_id)
        assert notification["status"] == "Accepted"
        assert notification["provider_reference"] == str(notification["id"])
        assert (await stored_order(database, shipment_id))["processing_status"] == "Processed"
        [sent] = [r for r in peer.requests if r["to"] == number]
        assert sent["text"] == "Your one-time code is 482913."

        # Kannel calls the dlr-url it was given, filling in the report type (1: delivered).
        report_url = peer.dlr_url(number).replace("%d", "1").replace("%A", "ACK")
        report = await http.get(report_url)
        assert report.status_code == 200, report.text

    assert (await stored_notification(database, "sms", shipment_id))["status"] == "Delivered"
    assert (await stored_order(database, shipment_id))["processing_status"] == "Completed"


async def test_instant_sms__kannel_refusing__503_nothing_stored__then_the_same_id_goes_through_once(
    peer: SendsmsPeer, settings: Settings, database: Database, clock: Clock, auth: dict[str, str]
) -> None:
    number = unique_number()
    body = sms_body(idempotency_id=unique_id("otp"), number=number)
    peer.answer_next(503, "Queue full")

    async with kannel_api(settings, database, clock, peer.url) as http:
        refused = await http.post(INSTANT_SMS, json=body, headers=auth)
        assert refused.status_code == 503, refused.text
        assert refused.json()["code"] == "NOT-00004"
        assert await stored_counts(database) == (0, 0, 0)

        retried = await http.post(INSTANT_SMS, json=body, headers=auth)
        replayed = await http.post(INSTANT_SMS, json=body, headers=auth)

    assert (retried.status_code, replayed.status_code) == (201, 200), retried.text
    assert len([r for r in peer.requests if r["to"] == number]) == 2  # the refused one and the one taken
    assert await stored_counts(database) == (1, 1, 1)


async def test_instant_sms__kannel_down__503_not_00004_and_nothing_stored(
    settings: Settings, database: Database, clock: Clock, auth: dict[str, str]
) -> None:
    closed = f"http://127.0.0.1:{free_port()}/cgi-bin/sendsms"

    async with kannel_api(settings, database, clock, closed) as http:
        response = await http.post(INSTANT_SMS, json=sms_body(), headers=auth)

    assert response.status_code == 503, response.text
    assert response.json()["code"] == "NOT-00004"
    assert "Retry-After" in response.headers
    assert await stored_counts(database) == (0, 0, 0)
