"""What the instant-order tests share: an app whose providers are set by the test and closed with it,
request bodies, and reads of what was stored."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from uuid import UUID

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from orderdesk.app import create_app
from orderdesk.core.db import Database
from orderdesk.notifications.tables import (
    notification_email,
    notification_order,
    notification_order_chain,
    notification_sms,
)
from orderdesk.settings import Settings
from tests.conftest import Clock

API = "/notifications/api/v1"
INSTANT = f"{API}/future/orders/instant"
INSTANT_SMS = f"{INSTANT}/sms"
INSTANT_EMAIL = f"{INSTANT}/email"


def with_notifications(settings: Settings, **overrides: Any) -> Settings:
    return settings.model_copy(update={"notifications": settings.notifications.model_copy(update=overrides)})


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[FastAPI]:
    """The app with its lifespan run, so that the providers it built are closed at the end."""
    async with app.router.lifespan_context(app):
        yield app


@asynccontextmanager
async def instant_client(
    settings: Settings, database: Database, clock: Clock, **overrides: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of an app whose notification settings have `overrides`."""
    app = create_app(with_notifications(settings, **overrides), clock=clock, database=database)
    async with running(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


def unique_number() -> str:
    """A Norwegian mobile number no other test sends to (the outbox and the SMSC are shared)."""
    return f"+479{secrets.randbelow(10**7):07d}"


def unique_id(prefix: str = "instant") -> str:
    return f"{prefix}-{secrets.token_hex(6)}"


def sms_body(
    *,
    idempotency_id: str | None = None,
    number: str | None = None,
    text: str = "Your one-time code is 482913.",
    ttl: Any = 300,
    sender: str | None = "Orderdesk",
    reference: str | None = "otp-1",
) -> dict[str, Any]:
    settings: dict[str, Any] = {"body": text}
    if sender is not None:
        settings["sender"] = sender
    body: dict[str, Any] = {
        "idempotencyId": idempotency_id or unique_id(),
        "recipientSms": {
            "phoneNumber": number or unique_number(),
            "timeToLiveInSeconds": ttl,
            "smsSettings": settings,
        },
    }
    if reference is not None:
        body["sendersReference"] = reference
    return body


def email_body(
    *,
    idempotency_id: str | None = None,
    address: str = "kari@example.com",
    subject: str = "Reset your password",
    text: str = "Follow the link within ten minutes.",
    reference: str | None = "reset-1",
    **settings: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "idempotencyId": idempotency_id or unique_id(),
        "recipientEmail": {
            "emailAddress": address,
            "emailSettings": {"subject": subject, "body": text, **settings},
        },
    }
    if reference is not None:
        body["sendersReference"] = reference
    return body


def deprecated_body(sms: dict[str, Any]) -> dict[str, Any]:
    """The same SMS order in the deprecated shape: the recipient under `recipient.recipientSms`."""
    body = {key: value for key, value in sms.items() if key != "recipientSms"}
    body["recipient"] = {"recipientSms": sms["recipientSms"]}
    return body


async def stored_counts(database: Database) -> tuple[int, int, int]:
    """Chains, orders and notifications (both channels) in the database."""
    async with database.read() as connection:
        counted = []
        for table in (notification_order_chain, notification_order):
            counted.append((await connection.execute(select(func.count()).select_from(table))).scalar_one())
        notifications = 0
        for table in (notification_email, notification_sms):
            notifications += (await connection.execute(select(func.count()).select_from(table))).scalar_one()
    return counted[0], counted[1], notifications


async def stored_order(database: Database, order_id: str) -> dict[str, Any]:
    async with database.read() as connection:
        row = (
            (
                await connection.execute(
                    select(notification_order).where(notification_order.c.id == UUID(order_id))
                )
            )
            .mappings()
            .one()
        )
    return dict(row)


async def stored_notification(database: Database, channel: str, order_id: str) -> dict[str, Any]:
    table = notification_sms if channel == "sms" else notification_email
    async with database.read() as connection:
        row = (
            (await connection.execute(select(table).where(table.c.notification_order_id == UUID(order_id))))
            .mappings()
            .one()
        )
    return dict(row)
