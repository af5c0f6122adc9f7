"""The API against its own OpenAPI document, on SQLite: an order's whole life validated by schemathesis'
checks, and the document's own rules. Generated requests against every operation are
tests/security/test_schemathesis.py's (every check, both backends).

Schemathesis drives the ASGI app from its own event loop thread, so this module has its own database,
migrated synchronously, instead of the session-loop fixtures of conftest.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from orderdesk.app import create_app
from orderdesk.core.clock import utcnow
from orderdesk.core.db import Database
from orderdesk.migrations import runner
from orderdesk.notifications.models import (
    EMAIL_STATUS_DESCRIPTIONS,
    ORDER_STATUS_DESCRIPTIONS,
    SMS_STATUS_DESCRIPTIONS,
)
from orderdesk.settings import AuthSettings, DatabaseSettings, Settings
from tests.conftest import Tokens, make_settings

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


async def _migrate(url: str) -> None:
    database = Database.from_url(url)
    try:
        await runner.upgrade(database)
    finally:
        await database.dispose()


@pytest.fixture(scope="module")
def contract_app(home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('contract') / 'contract.db'}"
    asyncio.run(_migrate(url))
    # A fresh engine: its connections are made on schemathesis' loop, not on the one that migrated.
    database = Database.from_url(url)
    yield create_app(make_settings(home, url), database=database, clock=utcnow)
    asyncio.run(database.dispose())


def _document_only_app() -> FastAPI:
    """An app that is only asked for its OpenAPI document: no key file, no database connection."""
    return create_app(
        Settings(
            home=Path("/nonexistent/orderdesk-contract"),
            auth=AuthSettings(trust_local_key=False),
            database=DatabaseSettings(url="sqlite+aiosqlite://"),
        )
    )


# The document's operations, whose cases are sent to the fixture's app with `app=`.
schema = schemathesis.openapi.from_dict(_document_only_app().openapi())


ORDERS = "/notifications/api/v1/orders"
READS = ["{id}", "{id}/status", "{id}/notifications/email", "{id}/notifications/sms"]
PLACEMENTS = [
    (
        "",
        {
            "notificationChannel": "EmailAndSms",
            "recipients": [{"emailAddress": "a@b.no", "mobileNumber": "+4799999999"}],
            "emailTemplate": {"subject": "S", "body": "B"},
            "smsTemplate": {"body": "B"},
        },
    ),
    ("/email", {"recipients": [{"nationalIdentityNumber": "07837399275"}], "subject": "S", "body": "B"}),
    ("/sms", {"recipients": [{"organizationNumber": "311000179"}], "body": "B"}),
]


def _call(app: FastAPI, tokens: Tokens, path: str, method: str, **case: Any) -> Any:
    operation = schema[f"{ORDERS}{path}"][method]
    return operation.Case(**case).call_and_validate(app=app, headers=tokens.bearer("ttd"), checks=CHECKS)


@pytest.mark.parametrize(("suffix", "body"), PLACEMENTS, ids=["any-channel", "email", "sms"])
@pytest.mark.parametrize("send_in", [None, timedelta(days=1)], ids=["now", "tomorrow"])
def test_placed_order__every_read_and_cancel__responses_match_the_document(
    contract_app: FastAPI, tokens: Tokens, suffix: str, body: dict[str, Any], send_in: timedelta | None
) -> None:
    if send_in is not None:
        body = {**body, "requestedSendTime": (datetime.now(UTC) + send_in).isoformat()}
    placed = _call(contract_app, tokens, suffix, "POST", body=body, media_type="application/json")
    assert placed.status_code == 202
    order_id = {"id": placed.json()["orderId"]}

    for read in READS:
        assert _call(contract_app, tokens, f"/{read}", "GET", path_parameters=order_id).status_code == 200
    cancelled = _call(contract_app, tokens, "/{id}/cancel", "PUT", path_parameters=order_id)
    assert cancelled.status_code == (409 if send_in is None else 200)


def test_unknown_order__every_read_and_cancel__responses_match_the_document(
    contract_app: FastAPI, tokens: Tokens
) -> None:
    unknown = {"id": str(uuid4())}
    for read in READS:
        assert _call(contract_app, tokens, f"/{read}", "GET", path_parameters=unknown).status_code == 404
    assert _call(contract_app, tokens, "/{id}/cancel", "PUT", path_parameters=unknown).status_code == 404


def _descriptions(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "description" and isinstance(value, str):
                yield value
            else:
                yield from _descriptions(value)
    elif isinstance(node, list):
        for item in node:
            yield from _descriptions(item)


def _openapi(app: FastAPI) -> dict[str, Any]:
    async def fetch() -> dict[str, Any]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            response = await client.get("/openapi.json")
        assert response.status_code == 200
        document: dict[str, Any] = response.json()
        return document

    return asyncio.run(fetch())


@pytest.mark.parametrize(
    "descriptions",
    [ORDER_STATUS_DESCRIPTIONS, EMAIL_STATUS_DESCRIPTIONS, SMS_STATUS_DESCRIPTIONS],
    ids=["order", "email", "sms"],
)
def test_openapi_document__every_status__listed_with_its_description(
    contract_app: FastAPI, descriptions: dict[Any, str]
) -> None:
    documented = "\n".join(_descriptions(_openapi(contract_app)))
    for status, text in descriptions.items():
        assert f"| {status} | {text} |" in documented


def test_openapi_document__validation_errors__documented_as_400_problems_only(
    contract_app: FastAPI,
) -> None:
    document = _openapi(contract_app)
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            # FastAPI's own 422 never happens (validation errors are 400s); a route's own 422 does:
            # a DENIED apply (REGARDS' order response) or a file that cannot be served (a problem).
            assert "HTTPValidationError" not in str(responses.get("422", "")), f"{method} {path}"
            if path == "/api/v1/rs-order/user/orders/apply":
                assert responses["422"]["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/OrderResponseExt"
                }
            elif "422" in responses:
                assert list(responses["422"]["content"]) == ["application/problem+json"], f"{method} {path}"
            if path == "/oauth/token" or path.startswith("/capi/"):
                # The purchase API keeps the original's bodies: RFC 6749/6750 errors for tokens,
                # {exceptionType, errorMessage} for the rest.
                for status in ("400", "401", "403", "404", "429"):
                    if status in responses:
                        assert list(responses[status]["content"]) == ["application/json"]
                continue
            for status in ("400", "401", "403"):
                if status in responses:
                    assert list(responses[status]["content"]) == ["application/problem+json"]
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_openapi_document__notification_operations__accept_a_bearer_token_or_a_platform_token(
    contract_app: FastAPI,
) -> None:
    """The notification API reads its credentials itself (orderdesk.web.security), so the document
    must still say what Swagger UI's Authorize dialog offers."""
    document = _openapi(contract_app)
    schemes = document["components"]["securitySchemes"]
    assert schemes["HTTPBearer"]["type"] == "http"
    assert schemes["HTTPBearer"]["scheme"] == "bearer"
    assert schemes["APIKeyHeader"] == {
        **schemes["APIKeyHeader"],
        "in": "header",
        "name": "PlatformAccessToken",
    }
    notification_operations = [
        operation
        for path, operations in document["paths"].items()
        if path.startswith("/notifications/api/v1/orders")
        for operation in operations.values()
    ]
    assert len(notification_operations) == 9
    for operation in notification_operations:
        assert operation["security"] == [{"HTTPBearer": []}, {"APIKeyHeader": []}]
    assert "security" not in document["paths"]["/health"]["get"]


def test_docs__swagger_ui__answers_200(contract_app: FastAPI) -> None:
    async def fetch() -> httpx.Response:
        transport = httpx.ASGITransport(app=contract_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await client.get("/docs")

    response = asyncio.run(fetch())
    assert response.status_code == 200
    assert "text/html" in response.headers["content-type"]


def test_openapi_document__schema_names__end_in_ext_never_out(contract_app: FastAPI) -> None:
    """The seed's convention: wire models of the notification API end in `Ext`, read or written."""
    names = _openapi(contract_app)["components"]["schemas"]
    assert [name for name in names if name.endswith("Out")] == []
    assert {"EmailTemplateResponseExt", "SmsTemplateResponseExt"} <= set(names)
