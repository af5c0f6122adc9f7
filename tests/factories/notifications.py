"""Valid notification order bodies with sensible defaults."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any


def in_future(hours: float = 1) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat()


def email_order(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "sendersReference": "ref-1",
        "requestedSendTime": in_future(),
        "recipients": [{"emailAddress": "recipient@domain.com"}],
        "subject": "A subject",
        "body": "A body",
    }
    body.update(overrides)
    return body


def sms_order(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "sendersReference": "ref-1",
        "requestedSendTime": in_future(),
        "recipients": [{"mobileNumber": "+4799999999"}],
        "senderNumber": "Altinn",
        "body": "A text",
    }
    body.update(overrides)
    return body


def order(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "sendersReference": "ref-1",
        "requestedSendTime": in_future(),
        "notificationChannel": "Email",
        "recipients": [{"emailAddress": "recipient@domain.com"}],
        "emailTemplate": {
            "fromAddress": "sender@domain.com",
            "subject": "A subject",
            "body": "A body",
            "contentType": "Plain",
        },
    }
    body.update(overrides)
    return body
