"""Calling the notification API and reading the outbox, as the notification tests do."""

from __future__ import annotations

import email
import json
from datetime import UTC, datetime
from email.message import Message
from pathlib import Path
from typing import Any

import httpx

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


async def processing_status(client: httpx.AsyncClient, auth: dict[str, str], order_id: str) -> str:
    """The order's processing status as the API shows it (`Registered`, `Completed`, …)."""
    value: str = (await status(client, auth, order_id))["processingStatus"]["status"]
    return value


async def notifications(
    client: httpx.AsyncClient, auth: dict[str, str], order_id: str, channel: str
) -> dict[str, Any]:
    response = await client.get(f"{API}/orders/{order_id}/notifications/{channel}", headers=auth)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body
