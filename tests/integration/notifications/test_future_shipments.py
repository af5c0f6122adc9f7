"""A shipment (`GET /future/shipment/{id}`): one order of the caller with each notification's status
under its lifecycle name; 404 with `code` NOT-00003 for an id that is unknown, malformed or another
organisation's."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import pytest

from orderdesk.core.offload import LARGE
from orderdesk.notifications.tasks.pipeline import NotificationPipeline
from tests.conftest import Clock, Tokens
from tests.factories.notifications import email_order, order
from tests.support.notifications_api import API, DAYTIME, place


async def shipment(client: httpx.AsyncClient, auth: dict[str, str], shipment_id: str) -> dict[str, Any]:
    response = await client.get(f"{API}/future/shipment/{shipment_id}", headers=auth)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_shipment__completed_order__its_recipients_with_their_statuses(
    client: httpx.AsyncClient, auth: dict[str, str], pipeline: NotificationPipeline, clock: Clock
) -> None:
    clock.set(DAYTIME)  # SMS go out at once
    order_id = await place(
        client,
        auth,
        "/orders",
        order(
            requestedSendTime=None,
            notificationChannel="EmailAndSms",
            recipients=[{"emailAddress": "ola@example.com", "mobileNumber": "+4799999999"}],
            smsTemplate={"senderNumber": "Orderdesk", "body": "A text"},
        ),
    )
    await pipeline.run_until_idle()

    body = await shipment(client, auth, order_id)

    assert body["shipmentId"] == order_id
    assert body["sendersReference"] == "ref-1"
    assert body["type"] == "Notification"
    assert body["status"] == "Order_Completed"
    shown = sorted((r["type"], r["destination"], r["status"]) for r in body["recipients"])
    assert shown == [("Email", "ola@example.com", "Email_Delivered"), ("SMS", "+4799999999", "SMS_Delivered")]
    last_updates = [datetime.fromisoformat(r["lastUpdate"]) for r in body["recipients"]]
    assert datetime.fromisoformat(body["lastUpdate"]) >= max(last_updates)


async def test_shipment__order_not_yet_processed__registered_with_no_recipients(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    order_id = await place(client, auth, "/orders/email", email_order())

    body = await shipment(client, auth, order_id)

    assert (body["status"], body["recipients"]) == ("Order_Registered", [])


async def test_shipment__large_order_processed__every_notification_in_flight(
    client: httpx.AsyncClient, auth: dict[str, str], pipeline: NotificationPipeline
) -> None:
    # More notifications than the offload threshold: the answer is built off the event loop.
    count = LARGE + 1
    order_id = await place(
        client,
        auth,
        "/orders/email",
        email_order(
            requestedSendTime=None,
            recipients=[{"emailAddress": f"r{index}@example.com"} for index in range(count)],
        ),
    )
    await pipeline.schedule()
    await pipeline.orders.settle()  # processed, nothing sent yet

    body = await shipment(client, auth, order_id)

    assert body["status"] == "Order_Processed"
    assert len(body["recipients"]) == count
    assert {r["status"] for r in body["recipients"]} == {"Email_New"}
    assert {r["destination"] for r in body["recipients"]} == {f"r{i}@example.com" for i in range(count)}


@pytest.mark.parametrize(
    "shipment_id", ["another-creators", "00000000-0000-4000-8000-000000000000", "not-a-uuid", "12345"]
)
async def test_shipment__unknown_malformed_or_another_creators__not_found_not_00003(
    client: httpx.AsyncClient, auth: dict[str, str], tokens: Tokens, shipment_id: str
) -> None:
    if shipment_id == "another-creators":
        shipment_id = await place(client, tokens.bearer("skd"), "/orders/email", email_order())

    response = await client.get(f"{API}/future/shipment/{shipment_id}", headers=auth)

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "NOT-00003"


async def test_shipment__own_order_through_a_platform_access_token__found(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    order_id = await place(client, tokens.bearer("skd"), "/orders/email", email_order())

    assert (await shipment(client, tokens.platform("skd"), order_id))["shipmentId"] == order_id


async def test_shipment__without_token__unauthorized(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    order_id = await place(client, auth, "/orders/email", email_order())

    assert (await client.get(f"{API}/future/shipment/{order_id}")).status_code == 401
