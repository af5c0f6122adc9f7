"""What the OpenAPI document tells a webhook subscriber: the description's Webhooks section (signing,
delivery guarantees, retries, disabling, rotation, which URLs), and the same operations under both
owners' prefixes, each documenting the problems it answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from orderdesk.app import create_app
from orderdesk.settings import AuthSettings, DatabaseSettings, Settings
from orderdesk.webhooks.models import EVENTS_OF, OwnerKind
from orderdesk.webhooks.router import DATA_ORDERS_PREFIX, NOTIFICATIONS_PREFIX

PROBLEM = "application/problem+json"
OPERATIONS = {
    ("", "get"): {"401"},
    ("", "post"): {"400", "401", "409"},
    ("/{id}", "get"): {"401", "404"},
    ("/{id}", "delete"): {"401", "404"},
    ("/{id}/rotate-secret", "post"): {"401", "404"},
    ("/{id}/test", "post"): {"401", "404", "409"},
    ("/{id}/deliveries", "get"): {"400", "401", "404"},
    ("/{id}/enable", "post"): {"401", "404"},
}
"""Every subscription operation, with the problem statuses its documentation must list at least."""


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


def test_description__webhooks_section__states_what_a_receiver_relies_on(document: dict[str, Any]) -> None:
    description = document["info"]["description"]
    section = description[description.index("## Webhooks") :]
    section = section[: section.index("\n## ", 1)]

    for promise in (
        "/notifications/api/v1/webhooks",
        "/api/v1/rs-order/user/webhooks",
        "webhook-id",
        "webhook-timestamp",
        "webhook-signature",
        "standardwebhooks",
        "At least once",
        "drop repeats",
        "In order per subscription",
        "three days",
        "five days",
        "410 Gone",
        "/enable",
        "/deliveries",
        "rotate-secret",
        "24 hours",
        "https only",
        "ORDERDESK_OUTBOUND_ALLOWED_NETWORKS",
    ):
        assert promise in section, promise


@pytest.mark.parametrize("prefix", [NOTIFICATIONS_PREFIX, DATA_ORDERS_PREFIX])
def test_operations__under_each_prefix__documented_with_their_problems(
    document: dict[str, Any], prefix: str
) -> None:
    paths = document["paths"]
    found = {
        (path.removeprefix(prefix), method)
        for path, operations in paths.items()
        if path == prefix or path.startswith(prefix + "/")
        for method in operations
    }
    assert found == set(OPERATIONS)
    for (suffix, method), statuses in OPERATIONS.items():
        operation = paths[prefix + suffix][method]
        assert operation.get("summary"), (suffix, method)
        for status in statuses:
            response = operation["responses"].get(status)
            assert response is not None, (suffix, method, status)
            assert PROBLEM in response["content"], (suffix, method, status)


def test_deliveries__each_attempt__documents_every_field(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    listed = schemas["DeliveryListExt"]["properties"]
    attempt = schemas["DeliveryExt"]["properties"]

    assert set(listed) == {"deliveries", "next"}
    assert set(attempt) == {
        "attemptedAt",
        "messageId",
        "eventType",
        "statusCode",
        "durationMs",
        "responseExcerpt",
        "error",
        "eventState",
    }
    for name, field in attempt.items():
        assert field.get("description"), name


@pytest.mark.parametrize(
    ("prefix", "kind"),
    [(NOTIFICATIONS_PREFIX, OwnerKind.ORGANISATION), (DATA_ORDERS_PREFIX, OwnerKind.DATA_USER)],
)
def test_subscribing__each_prefix__lists_exactly_the_events_its_owners_may_subscribe_to(
    document: dict[str, Any], prefix: str, kind: OwnerKind
) -> None:
    schemas = document["components"]["schemas"]
    content = document["paths"][prefix]["post"]["requestBody"]["content"]["application/json"]
    body = schemas[content["schema"]["$ref"].rsplit("/", 1)[-1]]

    assert body["properties"]["events"]["items"]["enum"] == [event.value for event in EVENTS_OF[kind]]
    assert body["properties"]["url"]["pattern"].startswith("^[Hh][Tt][Tt][Pp][Ss]?://")
