"""Orders placed over HTTP are carried out by the workers and land in the outbox: e-mail as .eml
files in a Maildir, SMS as JSON lines; the status endpoints tell the story at every step."""

from __future__ import annotations

import email
import json
from datetime import UTC, datetime
from email.message import Message
from pathlib import Path
from typing import Any

import httpx

from orderdesk.core.db import Database
from orderdesk.notifications.tasks import NotificationPipeline
from tests.conftest import Clock
from tests.factories import contacts
from tests.factories.notifications import email_order, order, sms_order

API = "/notifications/api/v1"
DAYTIME = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # 11:00 in Oslo


def counts(summary: dict[str, Any], channel: str) -> tuple[int, int]:
    channel_summary = summary["notificationsStatusSummary"][channel]
    return channel_summary["generated"], channel_summary["succeeded"]


def outbox_mail(home: Path) -> list[Message]:
    folder = home / "outbox" / "email" / "new"
    if not folder.exists():
        return []
    return [email.message_from_bytes(path.read_bytes()) for path in sorted(folder.glob("*.eml"))]


def outbox_sms(home: Path) -> list[dict[str, Any]]:
    path = home / "outbox" / "sms.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


async def place(client: httpx.AsyncClient, auth: dict[str, str], path: str, body: dict[str, Any]) -> str:
    response = await client.post(f"{API}{path}", json=body, headers=auth)
    assert response.status_code == 202, response.text
    order_id: str = response.json()["orderId"]
    return order_id


async def status(client: httpx.AsyncClient, auth: dict[str, str], order_id: str) -> dict[str, Any]:
    response = await client.get(f"{API}/orders/{order_id}/status", headers=auth)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


async def notifications(
    client: httpx.AsyncClient, auth: dict[str, str], order_id: str, channel: str
) -> dict[str, Any]:
    response = await client.get(f"{API}/orders/{order_id}/notifications/{channel}", headers=auth)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


async def test_email_order_due_now__lands_in_the_maildir_and_completes(
    client: httpx.AsyncClient, auth: dict[str, str], pipeline: NotificationPipeline, outbox_home: Path
) -> None:
    order_id = await place(
        client,
        auth,
        "/orders/email",
        email_order(
            requestedSendTime=None,
            recipients=[{"emailAddress": "ola@example.com"}],
            subject="Your order",
            body="Hello from orderdesk",
        ),
    )
    assert (await status(client, auth, order_id))["processingStatus"]["status"] == "Registered"

    await pipeline.run_until_idle()

    [message] = outbox_mail(outbox_home)
    assert message["To"] == "ola@example.com"
    assert message["Subject"] == "Your order"
    assert message.get_payload(decode=True).decode().strip() == "Hello from orderdesk"  # type: ignore[union-attr]
    after = await status(client, auth, order_id)
    assert after["processingStatus"]["status"] == "Completed"
    assert counts(after, "email") == (1, 1)
    summary = await notifications(client, auth, order_id, "email")
    [notification] = summary["notifications"]
    assert notification["sendStatus"]["status"] == "Delivered"
    assert notification["succeeded"] is True
    assert notification["recipient"]["emailAddress"] == "ola@example.com"


async def test_sms_order_in_the_window__written_as_a_json_line(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    pipeline: NotificationPipeline,
    outbox_home: Path,
    clock: Clock,
) -> None:
    clock.set(DAYTIME)
    order_id = await place(
        client, auth, "/orders/sms", sms_order(requestedSendTime=None, senderNumber="Orderdesk")
    )
    await pipeline.run_until_idle()

    [line] = outbox_sms(outbox_home)
    assert (line["to"], line["from"], line["body"]) == ("+4799999999", "Orderdesk", "A text")
    after = await status(client, auth, order_id)
    assert after["processingStatus"]["status"] == "Completed"
    assert counts(after, "sms") == (1, 1)


async def test_email_that_cannot_be_rendered__failed_at_once__the_others_written(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    pipeline: NotificationPipeline,
    outbox_home: Path,
    database: Database,
) -> None:
    # A register name with a line break, in the subject of a message to a non-ASCII address: the
    # e-mail library refuses the header on every attempt, so retrying until expiry would gain nothing.
    person = contacts.person(contacts.PERSON_WITH_EMAIL, name="Åse\nNordmann", email="åse@example.com")
    await contacts.load(database, {"persons": [person], "organizations": []})
    order_id = await place(
        client,
        auth,
        "/orders",
        order(
            requestedSendTime=None,
            recipients=[
                {"nationalIdentityNumber": contacts.PERSON_WITH_EMAIL},
                {"emailAddress": "direct@example.com"},
            ],
            emailTemplate={"subject": "Hello $recipientName$", "body": "Dear you.", "contentType": "Plain"},
        ),
    )

    await pipeline.run_until_idle()

    summary = await notifications(client, auth, order_id, "email")
    shown = {n["recipient"]["emailAddress"]: n["sendStatus"]["status"] for n in summary["notifications"]}
    assert shown == {"åse@example.com": "Failed", "direct@example.com": "Delivered"}
    [message] = outbox_mail(outbox_home)
    assert message["To"] == "direct@example.com"
    assert (await status(client, auth, order_id))["processingStatus"]["status"] == "Completed"
