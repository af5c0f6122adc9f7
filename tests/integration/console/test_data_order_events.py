"""An admin's action on a user's data order in the console is a change like the owner's own: the
owner's webhook subscription hears it, signed, as `dataorder.status_changed`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from orderdesk.console.models import Role
from orderdesk.core.db import Database
from orderdesk.settings import Settings
from orderdesk.webhooks.delivery import DeliveryWorker
from tests.conftest import Clock
from tests.integration.dataorders import conftest as dataorder_fixtures
from tests.integration.dataorders.flow import order_all
from tests.integration.webhooks.conftest import DATA_HOOKS, worker_for
from tests.support.console import post_form, signed_in
from tests.support.webhook_receiver import webhook_receiver

catalog = dataorder_fixtures.catalog
user = dataorder_fixtures.user

PAGES = "/console/data-orders"


@pytest.fixture
async def deliveries(database: Database, settings: Settings, clock: Clock) -> AsyncIterator[DeliveryWorker]:
    worker = worker_for(database, settings, clock)
    yield worker
    await worker.aclose()


async def test_admin_pauses_and_deletes__the_owner_hears_each_change(
    client: httpx.AsyncClient,
    database: Database,
    clock: Clock,
    user: dict[str, str],
    deliveries: DeliveryWorker,
    catalog: Path,
) -> None:
    with webhook_receiver() as receiver:
        answer = await client.post(
            DATA_HOOKS, json={"url": receiver.url, "events": ["dataorder.status_changed"]}, headers=user
        )
        assert answer.status_code == 201, answer.text
        order_id = await order_all(client, user, "ds1")
        await signed_in(client, database, clock, "admin@example.org", Role.ADMIN)

        for action in ("pause", "delete"):
            done = await post_form(client, f"{PAGES}/{order_id}", f"{PAGES}/{order_id}/{action}")
            assert done.status_code == 303
        await deliveries.step_and_settle()
        payloads = receiver.payloads(answer.json()["secret"])

    assert [
        (payload["data"]["orderId"], payload["data"]["oldStatus"], payload["data"]["newStatus"])
        for payload in payloads
    ] == [(order_id, "PENDING", "PAUSED"), (order_id, "PAUSED", "DELETED")]
    assert {payload["data"]["owner"] for payload in payloads} == {"ola@example.com"}
