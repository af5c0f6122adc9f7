"""What orderdesk sends to clients' endpoints is in its OpenAPI document: the data-order webhook
events in `webhooks` (their payloads as the models the tests read deliveries with) and the purchase
fulfilment callback in the fulfilment operation's `callbacks`, each with the three signature headers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from orderdesk.app import create_app
from orderdesk.settings import AuthSettings, DatabaseSettings, Settings

SIGNATURE_HEADERS = {"webhook-id", "webhook-timestamp", "webhook-signature"}


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


def _headers(operation: dict[str, Any]) -> set[str]:
    return {parameter["name"] for parameter in operation["parameters"] if parameter["in"] == "header"}


def _schema(document: dict[str, Any], reference: str) -> dict[str, Any]:
    schema: dict[str, Any] = document["components"]["schemas"][reference.rsplit("/", 1)[-1]]
    return schema


@pytest.mark.parametrize(
    ("event", "data_fields"),
    [
        (
            "dataorder.status_changed",
            {"orderId", "label", "owner", "oldStatus", "newStatus", "changedAt"},
        ),
        (
            "dataorder.files_available",
            {"orderId", "label", "subOrderId", "filesAvailable", "filesAvailableUrl", "changedAt"},
        ),
    ],
)
def test_data_order_events__in_the_webhooks_section__payload_and_signature_headers(
    document: dict[str, Any], event: str, data_fields: set[str]
) -> None:
    operation = document["webhooks"][event]["post"]

    assert _headers(operation) == SIGNATURE_HEADERS
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    payload = _schema(document, body["$ref"])
    assert set(payload["required"]) == {"type", "timestamp", "data"}
    assert payload["properties"]["type"]["const"] == event
    data = _schema(document, payload["properties"]["data"]["$ref"])
    assert set(data["required"]) == data_fields


def test_fulfilment_callback__documented_with_its_query_and_signature_headers(
    document: dict[str, Any],
) -> None:
    fulfilment = document["paths"]["/capi/v1/client/order/fulfillment"]["post"]
    [callback] = fulfilment["callbacks"].values()
    operation = callback["{$request.body#/callbackUrl}"]["get"]

    assert _headers(operation) == SIGNATURE_HEADERS
    assert {p["name"] for p in operation["parameters"] if p["in"] == "query"} == {
        "fulfillmentStatus",
        "orderId",
    }
    assert "raw query string exactly as sent" in " ".join(operation["description"].split())
