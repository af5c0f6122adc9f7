"""`POST /oauth/token` with the client credentials grant: a registered client gets a bearer token
whichever way it authenticates (HTTP Basic, form fields, query string); every other request gets the
RFC 6749 error naming what is wrong."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import jwt
import pytest

from orderdesk.core.db import Database
from orderdesk.purchases.models import NewClient
from orderdesk.purchases.service.clients import register_client

TOKEN = "/oauth/token"


@pytest.fixture
async def registered(database: Database) -> NewClient:
    async with database.transaction() as connection:
        return await register_client(connection, "shop", datetime.now(UTC))


def assert_token_response(response: httpx.Response, client_id: str) -> None:
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
    assert (body["token_type"], body["expires_in"], body["scope"]) == ("bearer", 43200, "read")
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["sub"] == client_id
    assert claims["exp"] - claims["iat"] == 43200
    assert response.headers["cache-control"] == "no-store"


async def test_basic_auth__token(client: httpx.AsyncClient, registered: NewClient) -> None:
    response = await client.post(
        TOKEN,
        data={"grant_type": "client_credentials"},
        auth=(registered.client_id, registered.client_secret),
    )

    assert_token_response(response, registered.client_id)


async def test_credentials_in_form_body__token(client: httpx.AsyncClient, registered: NewClient) -> None:
    form = {
        "grant_type": "client_credentials",
        "client_id": registered.client_id,
        "client_secret": registered.client_secret,
    }

    assert_token_response(await client.post(TOKEN, data=form), registered.client_id)


async def test_parameters_in_query_string__token(client: httpx.AsyncClient, registered: NewClient) -> None:
    params = {
        "grant_type": "client_credentials",
        "client_id": registered.client_id,
        "client_secret": registered.client_secret,
    }

    assert_token_response(await client.post(TOKEN, params=params), registered.client_id)


GRANT = {"grant_type": "client_credentials"}
BOTH = {"grant_type": "client_credentials", "client_id": "ID", "client_secret": "SECRET"}


def filled(value: Any, registered: NewClient) -> Any:
    """`value` with the strings ID and SECRET replaced by the registered client's."""
    if isinstance(value, dict):
        return {key: filled(item, registered) for key, item in value.items()}
    if isinstance(value, tuple):
        return tuple(filled(item, registered) for item in value)
    return {"ID": registered.client_id, "SECRET": registered.client_secret}.get(value, value)


@pytest.mark.parametrize(
    ("arguments", "status", "error"),
    [
        ({"data": GRANT, "auth": ("ID", "wrong")}, 401, "invalid_client"),
        ({"data": GRANT, "auth": ("nobody", "SECRET")}, 401, "invalid_client"),
        ({"data": GRANT}, 401, "invalid_client"),
        ({"data": GRANT, "headers": {"Authorization": "Basic %%%"}}, 401, "invalid_client"),
        ({"data": GRANT, "headers": {"Authorization": "Bearer x"}}, 401, "invalid_client"),
        ({"data": {"grant_type": "password"}, "auth": ("ID", "SECRET")}, 400, "unsupported_grant_type"),
        ({"data": {}, "auth": ("ID", "SECRET")}, 400, "invalid_request"),
        ({"data": BOTH, "auth": ("ID", "SECRET")}, 400, "invalid_request"),
        ({"json": GRANT, "auth": ("ID", "SECRET")}, 400, "invalid_request"),
        (
            {"data": {"grant_type": "client_credentials\x00"}, "auth": ("ID", "SECRET")},
            400,
            "invalid_request",
        ),
    ],
)
async def test_bad_requests__rfc6749_error(
    client: httpx.AsyncClient, registered: NewClient, arguments: dict[str, Any], status: int, error: str
) -> None:
    response = await client.post(TOKEN, **filled(arguments, registered))

    assert response.status_code == status, response.text
    assert response.json()["error"] == error
    assert response.json()["error_description"]
    if status == 401:
        assert response.headers["www-authenticate"].startswith("Basic")
