"""Cancelling an order: allowed while it is Registered and its send time more than five minutes away."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from orderdesk.core.db import Database
from orderdesk.notifications.tables import notification_order
from tests.conftest import Clock, Tokens
from tests.factories.notifications import email_order, sms_order
from tests.support.wire import assert_problem, parse_wire_time

API = "/notifications/api/v1"
CANCELLED_DESCRIPTION = "Order processing was stopped due to order being cancelled."


async def place_id(client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any]) -> str:
    response = await client.post(f"{API}/orders/email", json=body, headers=headers)
    assert response.status_code == 202, response.text
    order_id: str = response.json()["orderId"]
    return order_id


def send_time(minutes_from_now: float) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes_from_now)).isoformat()


async def set_processing_status(database: Database, order_id: str, status: str) -> None:
    async with database.transaction() as connection:
        await connection.execute(
            update(notification_order)
            .where(notification_order.c.id == uuid.UUID(order_id))
            .values(processing_status=status)
        )


async def test_cancel_order__registered_and_send_time_far_away__cancelled(
    client: httpx.AsyncClient, auth: dict[str, str], clock: Clock
) -> None:
    order_id = await place_id(
        client, auth, email_order(sendersReference="ref-2023-12-01", requestedSendTime=send_time(60))
    )
    clock.advance(timedelta(minutes=10))
    before = clock()

    response = await client.put(f"{API}/orders/{order_id}/cancel", headers=auth)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["id"] == order_id
    assert body["creator"] == "ttd"
    assert body["sendersReference"] == "ref-2023-12-01"
    assert body["notificationChannel"] == "Email"
    assert body["requestedSendTime"].endswith("Z")
    assert body["created"].endswith("Z")
    assert body["processingStatus"]["status"] == "Cancelled"
    assert body["processingStatus"]["description"] == CANCELLED_DESCRIPTION
    assert before <= parse_wire_time(body["processingStatus"]["lastUpdate"]) <= clock()
    assert "notificationsStatusSummary" not in body


async def test_cancel_order__cancelled_twice__ok_both_times(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    order_id = await place_id(client, auth, email_order(requestedSendTime=send_time(60)))

    first = await client.put(f"{API}/orders/{order_id}/cancel", headers=auth)
    second = await client.put(f"{API}/orders/{order_id}/cancel", headers=auth)

    assert first.status_code == second.status_code == 200
    assert second.json()["processingStatus"] == first.json()["processingStatus"]


async def test_cancel_order__already_cancelled_and_send_time_now_near__still_ok(
    client: httpx.AsyncClient, auth: dict[str, str], clock: Clock
) -> None:
    order_id = await place_id(client, auth, email_order(requestedSendTime=send_time(60)))
    assert (await client.put(f"{API}/orders/{order_id}/cancel", headers=auth)).status_code == 200
    clock.advance(timedelta(minutes=58))

    response = await client.put(f"{API}/orders/{order_id}/cancel", headers=auth)

    assert response.status_code == 200
    assert response.json()["processingStatus"]["status"] == "Cancelled"


async def test_cancel_order__singular_path__cancels_too(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    order_id = await place_id(client, auth, email_order(requestedSendTime=send_time(60)))

    response = await client.put(f"{API}/order/{order_id}/cancel", headers=auth)

    assert response.status_code == 200
    assert response.json()["processingStatus"]["status"] == "Cancelled"


async def test_cancel_order__send_time_four_minutes_away__conflict(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    order_id = await place_id(client, auth, email_order(requestedSendTime=send_time(4)))

    response = await client.put(f"{API}/orders/{order_id}/cancel", headers=auth)

    assert_problem(response, 409, "https://tools.ietf.org/html/rfc9110#section-15.5.10")
    assert response.json()["detail"] == (
        "The order cannot be cancelled: processing has started or its send time is less than five "
        "minutes away."
    )
    status = (await client.get(f"{API}/orders/{order_id}/status", headers=auth)).json()
    assert status["processingStatus"]["status"] == "Registered"


async def test_cancel_order__clock_moved_to_four_minutes_before_send_time__conflict(
    client: httpx.AsyncClient, auth: dict[str, str], clock: Clock
) -> None:
    order_id = await place_id(client, auth, email_order(requestedSendTime=send_time(60)))
    clock.advance(timedelta(minutes=56))

    response = await client.put(f"{API}/orders/{order_id}/cancel", headers=auth)

    assert_problem(response, 409, "https://tools.ietf.org/html/rfc9110#section-15.5.10")


async def test_cancel_order__send_time_left_out__conflict(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    body = email_order()
    del body["requestedSendTime"]
    order_id = await place_id(client, auth, body)

    response = await client.put(f"{API}/orders/{order_id}/cancel", headers=auth)

    assert_problem(response, 409, "https://tools.ietf.org/html/rfc9110#section-15.5.10")


@pytest.mark.parametrize("status", ["Processing", "Processed", "Completed", "SendConditionNotMet"])
async def test_cancel_order__processing_already_started__conflict(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database, status: str
) -> None:
    order_id = await place_id(client, auth, email_order(requestedSendTime=send_time(60)))
    await set_processing_status(database, order_id, status)

    response = await client.put(f"{API}/orders/{order_id}/cancel", headers=auth)

    assert_problem(response, 409, "https://tools.ietf.org/html/rfc9110#section-15.5.10")
    after = (await client.get(f"{API}/orders/{order_id}/status", headers=auth)).json()
    assert after["processingStatus"]["status"] == ("Completed" if status == "Processed" else status)


@pytest.mark.parametrize("collection", ["orders", "order"])
async def test_cancel_order__unknown_id__not_found_problem(
    client: httpx.AsyncClient, auth: dict[str, str], collection: str
) -> None:
    response = await client.put(f"{API}/{collection}/{uuid.uuid4()}/cancel", headers=auth)

    problem = assert_problem(response, 404, "https://tools.ietf.org/html/rfc9110#section-15.5.5")
    assert problem["title"] == "Not Found"


async def test_cancel_order__another_orgs_order__not_found_and_left_alone(
    client: httpx.AsyncClient, auth: dict[str, str], tokens: Tokens
) -> None:
    owner = tokens.bearer("digdir")
    order_id = await place_id(client, owner, email_order(requestedSendTime=send_time(60)))

    response = await client.put(f"{API}/orders/{order_id}/cancel", headers=auth)

    assert_problem(response, 404, "https://tools.ietf.org/html/rfc9110#section-15.5.5")
    status = (await client.get(f"{API}/orders/{order_id}/status", headers=owner)).json()
    assert status["processingStatus"]["status"] == "Registered"


async def test_cancel_order__id_not_a_guid__bad_request_naming_id(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await client.put(f"{API}/orders/12345/cancel", headers=auth)

    problem = assert_problem(response, 400, "https://tools.ietf.org/html/rfc9110#section-15.5.1")
    assert list(problem["errors"]) == ["id"]


async def test_cancel_order__then_get_status__shows_cancelled(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    order_id = await place_id(client, auth, email_order(requestedSendTime=send_time(60)))
    cancelled = (await client.put(f"{API}/orders/{order_id}/cancel", headers=auth)).json()

    status = await client.get(f"{API}/orders/{order_id}/status", headers=auth)

    assert status.status_code == 200
    assert status.json()["processingStatus"] == {
        "status": "Cancelled",
        "description": CANCELLED_DESCRIPTION,
        "lastUpdate": cancelled["processingStatus"]["lastUpdate"],
    }


async def test_cancel_order__sms_order_by_platform_access_token__cancelled(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    headers = tokens.platform("ttd")
    response = await client.post(
        f"{API}/orders/sms", json=sms_order(requestedSendTime=send_time(60)), headers=headers
    )
    order_id = response.json()["orderId"]

    cancelled = await client.put(f"{API}/orders/{order_id}/cancel", headers=headers)

    assert cancelled.status_code == 200
    assert cancelled.json()["notificationChannel"] == "Sms"
    assert cancelled.json()["processingStatus"]["status"] == "Cancelled"
