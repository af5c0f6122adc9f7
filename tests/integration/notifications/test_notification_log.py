"""The notification log (`GET /future/log`): the notifications of the caller's chains associated with a
Dialogporten dialog or transmission, with their status now."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from orderdesk.notifications.tasks.pipeline import NotificationPipeline
from tests.conftest import Clock, Tokens
from tests.support.notifications_api import API, DAYTIME
from tests.support.wire import assert_problem

LOG = f"{API}/future/log"


def chain(idempotency_id: str, address: str, **association: str) -> dict[str, Any]:
    return {
        "idempotencyId": idempotency_id,
        "sendersReference": idempotency_id,
        "dialogportenAssociation": association,
        "recipient": {
            "recipientEmail": {
                "emailAddress": address,
                "emailSettings": {"subject": "New message", "body": "Hi"},
            }
        },
        "reminders": [
            {
                "delayDays": 7,
                "recipient": {
                    "recipientSms": {"phoneNumber": "+4799999999", "smsSettings": {"body": "Unread"}}
                },
            }
        ],
    }


async def place(client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(f"{API}/future/orders", json=body, headers=headers)
    assert response.status_code == 201, response.text
    receipt: dict[str, Any] = response.json()
    return receipt


async def test_log__the_notifications_of_the_dialogs_chains_with_their_status(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    tokens: Tokens,
    pipeline: NotificationPipeline,
    outbox_home: Path,
    clock: Clock,
) -> None:
    clock.set(DAYTIME)
    receipt = await place(
        client, auth, chain("d1-chain", "ola@example.com", dialogId="d1", transmissionId="t1")
    )
    await place(client, auth, chain("d2-chain", "kari@example.com", dialogId="d2"))
    await place(client, tokens.bearer("nav"), chain("nav-chain", "per@example.com", dialogId="d1"))
    await pipeline.run_until_idle()

    by_dialog = await client.get(LOG, params={"dialogId": "d1"}, headers=auth)
    by_both = await client.get(LOG, params={"dialogId": "d1", "transmissionId": "t1"}, headers=auth)

    assert by_dialog.status_code == 200, by_dialog.text
    [entry] = by_dialog.json()  # the reminder is not due yet: no notification of it so far
    assert entry["orderChainId"] == receipt["notificationOrderId"]
    assert entry["shipmentId"] == receipt["notification"]["shipmentId"]
    assert (entry["dialogId"], entry["transmissionId"]) == ("d1", "t1")
    assert (entry["channel"], entry["destination"], entry["status"]) == (
        "Email",
        "ola@example.com",
        "Email_Delivered",
    )
    assert entry["shipmentType"] == "Notification"
    assert by_both.json() == [entry]
    assert (
        await client.get(LOG, params={"dialogId": "d1", "transmissionId": "other"}, headers=auth)
    ).json() == []


async def test_log__reminder_sent__both_listed_oldest_first(
    client: httpx.AsyncClient, auth: dict[str, str], pipeline: NotificationPipeline, clock: Clock
) -> None:
    clock.set(DAYTIME)
    await place(client, auth, chain("d3-chain", "ola@example.com", dialogId="d3"))
    await pipeline.run_until_idle()
    clock.advance(timedelta(days=7))
    await pipeline.run_until_idle()

    entries = (await client.get(LOG, params={"dialogId": "d3"}, headers=auth)).json()

    assert [(e["shipmentType"], e["channel"]) for e in entries] == [
        ("Notification", "Email"),
        ("Reminder", "SMS"),
    ]


async def test_log__without_a_dialog_id__400_naming_it(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    problem = assert_problem(
        await client.get(LOG, params={"transmissionId": "t1"}, headers=auth),
        400,
        "https://tools.ietf.org/html/rfc9110#section-15.5.1",
    )
    assert "dialogId" in problem["errors"]


async def test_log__without_credentials__401(client: httpx.AsyncClient) -> None:
    assert (await client.get(LOG, params={"dialogId": "d1"})).status_code == 401
