"""The webhook events of notification orders in the OpenAPI document's `webhooks` section: both
events, their signature headers, their payloads field by field, and a document whose every reference
resolves (FastAPI's 422 of a documented webhook is not ours to answer, and its schema is removed)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orderdesk.app import create_app
from orderdesk.settings import AuthSettings, DatabaseSettings, Settings

NOTIFICATION_FIELDS = {
    "notificationId",
    "orderId",
    "shipmentId",
    "sendersReference",
    "channel",
    "recipient",
    "oldStatus",
    "newStatus",
    "changedAt",
}
ORDER_FIELDS = {
    "orderId",
    "shipmentId",
    "orderType",
    "sendersReference",
    "oldStatus",
    "newStatus",
    "changedAt",
}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    app = create_app(
        Settings(
            home=Path("/nonexistent/orderdesk-contract"),
            auth=AuthSettings(trust_local_key=False),
            database=DatabaseSettings(url="sqlite+aiosqlite://"),
        )
    )
    return app.openapi()


def _schema(document: dict[str, Any], reference: str) -> dict[str, Any]:
    schema: dict[str, Any] = document["components"]["schemas"][reference.rsplit("/", 1)[-1]]
    return schema


def _references(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _references(value)
    elif isinstance(node, list):
        for item in node:
            yield from _references(item)


@pytest.mark.parametrize(
    ("event", "fields"),
    [("notification.status_changed", NOTIFICATION_FIELDS), ("order.status_changed", ORDER_FIELDS)],
)
def test_webhooks_section__event__payload_and_signature_headers_documented(
    document: dict[str, Any], event: str, fields: set[str]
) -> None:
    assert document["openapi"].startswith("3.1")
    operation = document["webhooks"][event]["post"]

    headers = {p["name"]: p for p in operation["parameters"] if p["in"] == "header"}
    assert set(headers) == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    assert all(header["required"] and header["description"] for header in headers.values())
    body = _schema(document, operation["requestBody"]["content"]["application/json"]["schema"]["$ref"])
    assert set(body["required"]) == {"type", "timestamp", "data"}
    assert body["properties"]["type"]["const"] == event
    data = _schema(document, body["properties"]["data"]["$ref"])
    assert set(data["properties"]) == fields
    assert set(data["required"]) == fields
    assert all(field.get("description") for field in data["properties"].values())
    # The receiver's answers, not ours: no problem details, no validation error of ours.
    assert set(operation["responses"]) == {"200"}
    described = {tag["name"] for tag in document["tags"] if tag.get("description")}
    assert set(operation["tags"]) <= described


def test_webhooks_section__statuses__lifecycle_names(document: dict[str, Any]) -> None:
    data = _schema(document, "NotificationStatusChangedDataExt")
    assert "Email_Delivered" in data["properties"]["newStatus"]["enum"]
    assert "SMS_Failed_TTL" in data["properties"]["newStatus"]["enum"]
    assert None in data["properties"]["oldStatus"]["enum"]
    assert data["properties"]["channel"]["enum"] == ["email", "sms"]
    order = _schema(document, "OrderStatusChangedDataExt")
    assert "Order_Completed" in order["properties"]["newStatus"]["enum"]


def test_document__every_reference__resolves(document: dict[str, Any]) -> None:
    references = set(_references(document))
    assert "#/components/schemas/NotificationStatusChangedEventExt" in references
    for reference in references:
        assert reference.startswith("#/components/schemas/"), reference
        assert reference.rsplit("/", 1)[-1] in document["components"]["schemas"], reference
