"""The happy path of the v1 API, end to end through HTTP on each backend."""

from __future__ import annotations

import httpx

from tests.factories.notifications import email_order

API = "/notifications/api/v1"


async def test_register_then_get_order__returns_what_was_ordered(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await client.post(f"{API}/orders/email", json=email_order(), headers=auth)
    assert response.status_code == 202
    order_id = response.json()["orderId"]
    assert response.headers["location"] == f"http://testserver{API}/orders/{order_id}"

    got = await client.get(f"{API}/orders/{order_id}", headers=auth)
    assert got.status_code == 200
    body = got.json()
    assert body["id"] == order_id
    assert body["creator"] == "ttd"
    assert body["notificationChannel"] == "Email"
    assert body["emailTemplate"]["subject"] == "A subject"
    assert body["links"]["status"] == f"http://testserver{API}/orders/{order_id}/status"
