"""Issue 13, finding 7: a client's URLs (conditionEndpoint, callbackUrl) must not make orderdesk call
into its own network. A URL naming such an address in any spelling is a 400 at intake; a name that
resolves to one is a failed call, and nothing reaches the listener; networks the operator allows
with ORDERDESK_OUTBOUND_ALLOWED_NETWORKS are called as before.

These tests build their settings from the environment, as a deployment does, with the allow-list the
test names (the other tests allow loopback to reach their stubs).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from orderdesk.app import create_app
from orderdesk.core.db import Database
from orderdesk.settings import DatabaseSettings, Settings
from tests.factories.notifications import email_order
from tests.security.running import serving
from tests.support.http_stub import http_stub
from tests.support.notifications_api import API, place, processing_status
from tests.support.purchases_api import (
    CAPI,
    fulfil,
    load_catalog,
    order_body,
    order_status,
    register,
    register_caller,
)
from tests.support.waiting import eventually

INTERNAL_URLS = [
    "http://127.0.0.1:6379/",
    "http://[::1]:5432/",
    "http://2130706433/",
    "http://0x7f.1/",
    "http://0x7f000001/",
    "http://127.1/",
    "http://0177.0.0.1/",
    "http://127.0.0.1./",
    "http://user@127.0.0.1/",
    "http://user:secret@[::1]:8080/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://0.0.0.0:8080/",
    "http://[::]/",
    "http://10.1.2.3/",
    "http://172.16.0.1/",
    "http://192.168.0.1/",
    "http://100.64.0.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://[fe80::1%25eth0]/",
    "http://[fc00::1]/",
    "http://224.0.0.1/",
    "http://[ff02::1]/",
    "https://[64:ff9b::a00:1]/",
    "https://[2002:7f00:1::]/",
]
LOOPBACK = "127.0.0.0/8,::1/128"
QUICK = 10.0
"""Generous: each of these takes well under a second."""


def settings_from_environment(
    monkeypatch: pytest.MonkeyPatch, home: Path, database_url: str, allowed: str
) -> Settings:
    monkeypatch.setenv("ORDERDESK_OUTBOUND_ALLOWED_NETWORKS", allowed)
    settings = Settings(home=home, database=DatabaseSettings(url=database_url, pool_size=5))
    notifications = settings.notifications.model_copy(
        # An inconclusive check is asked again at once, and the second one sends anyway.
        update={"worker_poll_seconds": 0.2, "condition_retry_delay_seconds": 0}
    )
    purchases = settings.purchases.model_copy(update={"poll_seconds": 0.2})
    return settings.model_copy(update={"notifications": notifications, "purchases": purchases})


@pytest.fixture
async def guarded(
    monkeypatch: pytest.MonkeyPatch,
    home: Path,
    migrated_database: tuple[str, Database],
    database: Database,
) -> AsyncIterator[httpx.AsyncClient]:
    """The API with the default allow-list: empty."""
    settings = settings_from_environment(monkeypatch, home, migrated_database[0], "")
    app = create_app(settings, database=database)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        yield http


@pytest.mark.parametrize("url", INTERNAL_URLS)
async def test_condition_endpoint_naming_an_internal_address__bad_request_naming_the_field(
    guarded: httpx.AsyncClient, auth: dict[str, str], url: str
) -> None:
    response = await guarded.post(
        f"{API}/orders/email", json=email_order(conditionEndpoint=url), headers=auth
    )

    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "conditionEndpoint" in response.json()["errors"]
    listed = await guarded.get(f"{API}/orders", params={"sendersReference": "ref-1"}, headers=auth)
    assert listed.status_code == 200
    assert listed.json()["count"] == 0


@pytest.mark.parametrize("url", INTERNAL_URLS)
async def test_callback_url_naming_an_internal_address__bad_request_naming_the_field_order_unchanged(
    guarded: httpx.AsyncClient, database: Database, url: str
) -> None:
    await load_catalog(database)
    shop = await register_caller(guarded, database)
    order_id = await register(guarded, shop, order_body())

    response = await guarded.post(
        f"{CAPI}/client/order/fulfillment",
        json={"orderId": order_id, "callbackUrl": url},
        headers=shop.headers,
    )

    assert response.status_code == 400, response.text
    assert response.json()["exceptionType"] == "BadRequestException"
    assert "callbackUrl" in response.json()["errorMessage"]
    assert (await order_status(guarded, shop, order_id))["orderStatus"] == "preliminary"


async def test_condition_endpoint_named_localhost__allow_list_empty__inconclusive_and_nothing_received(
    monkeypatch: pytest.MonkeyPatch,
    home: Path,
    migrated_database: tuple[str, Database],
    database: Database,
    auth: dict[str, str],
) -> None:
    settings = settings_from_environment(monkeypatch, home, migrated_database[0], "")
    with http_stub() as stub:
        endpoint = stub.answer("/condition", 200, '{"sendNotification": false}').replace(
            "127.0.0.1", "localhost"
        )
        async with serving(settings, database) as http:
            order_id = await place(
                http, auth, "/orders/email", email_order(requestedSendTime=None, conditionEndpoint=endpoint)
            )

            async def decided() -> bool:
                return await processing_status(http, auth, order_id) not in ("Registered", "Processing")

            await eventually(decided, within=QUICK, what="the order decided")
            # Inconclusive twice (the endpoint was never called), so sent anyway: what an endpoint
            # that does not answer gets.
            assert await processing_status(http, auth, order_id) == "Completed"
    assert stub.requests == []


async def test_condition_endpoint_named_localhost__loopback_allowed__the_endpoint_decides(
    monkeypatch: pytest.MonkeyPatch,
    home: Path,
    migrated_database: tuple[str, Database],
    database: Database,
    auth: dict[str, str],
) -> None:
    settings = settings_from_environment(monkeypatch, home, migrated_database[0], LOOPBACK)
    with http_stub() as stub:
        endpoint = stub.answer("/condition", 200, '{"sendNotification": false}').replace(
            "127.0.0.1", "localhost"
        )
        async with serving(settings, database) as http:
            order_id = await place(
                http, auth, "/orders/email", email_order(requestedSendTime=None, conditionEndpoint=endpoint)
            )

            async def decided() -> bool:
                return await processing_status(http, auth, order_id) == "SendConditionNotMet"

            await eventually(decided, within=QUICK, what="the endpoint's answer applied")
    assert stub.requests == ["/condition"]


async def test_callback_url_named_localhost__loopback_not_allowed__failed_call_nothing_received(
    monkeypatch: pytest.MonkeyPatch,
    home: Path,
    migrated_database: tuple[str, Database],
    database: Database,
) -> None:
    # 127.0.0.2 stands for a machine the operator allows; localhost (127.0.0.1) stays refused.
    settings = settings_from_environment(monkeypatch, home, migrated_database[0], "127.0.0.2/32")
    await load_catalog(database)
    with http_stub() as internal, http_stub("127.0.0.2") as allowed:
        async with serving(settings, database) as http:
            shop = await register_caller(http, database)
            first = await register(http, shop, order_body())
            await fulfil(http, shop, first, internal.answer("/hook", 200).replace("127.0.0.1", "localhost"))
            second = await register(http, shop, order_body())
            await fulfil(http, shop, second, allowed.answer("/hook", 200))

            async def second_called_back() -> bool:
                return len(allowed.requests) == 1

            await eventually(second_called_back, within=QUICK, what="the allowed callback made")
            await asyncio.sleep(1.0)  # the first was due first: its call has long been tried
    assert internal.requests == []


async def test_callback_url_named_localhost__loopback_allowed__called_back(
    monkeypatch: pytest.MonkeyPatch,
    home: Path,
    migrated_database: tuple[str, Database],
    database: Database,
) -> None:
    settings = settings_from_environment(monkeypatch, home, migrated_database[0], LOOPBACK)
    await load_catalog(database)
    with http_stub() as stub:
        async with serving(settings, database) as http:
            shop = await register_caller(http, database)
            order_id = await register(http, shop, order_body())
            await fulfil(http, shop, order_id, stub.answer("/hook", 200).replace("127.0.0.1", "localhost"))

            async def called_back() -> bool:
                return len(stub.requests) == 1

            await eventually(called_back, within=QUICK, what="the callback made")
