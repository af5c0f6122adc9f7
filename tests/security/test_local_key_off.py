"""With the local key no longer trusted for tokens (`ORDERDESK_AUTH_TRUST_LOCAL_KEY=false`, as
SECURITY.md advises for production), the access tokens `POST /oauth/token` issues must still open
the purchase client paths, while tokens minted with the local key open no other door."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from orderdesk.app import create_app
from orderdesk.core.db import Database
from orderdesk.purchases.service.clients import register_client
from orderdesk.settings import Settings
from tests.conftest import Clock, Tokens


@pytest.fixture
async def untrusting(
    settings: Settings, database: Database, clock: Clock
) -> AsyncIterator[httpx.AsyncClient]:
    auth = settings.auth.model_copy(update={"trust_local_key": False})
    app = create_app(settings.model_copy(update={"auth": auth}), clock=clock, database=database)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def test_local_key_not_trusted__oauth_access_token__opens_the_client_paths(
    untrusting: httpx.AsyncClient, database: Database
) -> None:
    async with database.transaction() as connection:
        shop = await register_client(connection, "shop", datetime.now(UTC))
    issued = await untrusting.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(shop.client_id, shop.client_secret)
    )
    assert issued.status_code == 200, issued.text
    bearer = {"Authorization": f"Bearer {issued.json()['access_token']}"}

    answer = await untrusting.get("/capi/v1/client/order/status/1", headers=bearer)

    assert answer.status_code == 404, answer.text


async def test_local_key_not_trusted__locally_minted_tokens__refused_at_their_doors(
    untrusting: httpx.AsyncClient, tokens: Tokens
) -> None:
    owner = await untrusting.get("/notifications/api/v1/orders/1", headers=tokens.bearer())
    platform = await untrusting.get("/notifications/api/v1/orders/1", headers=tokens.platform())
    user = await untrusting.get("/api/v1/rs-order/order/basket", headers=tokens.user())
    client = await untrusting.get("/capi/v1/client/order/status/1", headers=tokens.client("shop"))

    assert [owner.status_code, platform.status_code, user.status_code] == [401, 401, 401]
    # A client token the service signed itself is its own access token, whoever minted it: the key
    # file is the operator's; what matters is that it opens the client paths and nothing else.
    assert client.status_code == 404, client.text
