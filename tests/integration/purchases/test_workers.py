"""Nothing lost, nothing twice: concurrent registrations of one externalOrderId store one order;
two fulfilment workers racing process each order once; a real `orderdesk worker` killed with SIGKILL
halfway leaves the rest to the next one, and every order ends processed with one invoice and a
callback."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import func, select

from orderdesk.app import create_app
from orderdesk.core.db import Database
from orderdesk.purchases.tables import purchase_customer, purchase_invoice, purchase_order
from orderdesk.purchases.tasks.fulfilment import FulfilmentWorker
from tests.conftest import POSTGRES_URL, Clock, make_settings
from tests.integration.purchases.conftest import UNLIMITED
from tests.support.http_stub import http_stub
from tests.support.processes import orderdesk_process, own_migrated_database
from tests.support.purchases_api import (
    CAPI,
    Caller,
    fulfil,
    load_catalog,
    order_body,
    register,
    register_caller,
)

_DEADLINE_SECONDS = 60.0


async def count(database: Database, table: object, *conditions: object) -> int:
    query = select(func.count()).select_from(table).where(*conditions)  # type: ignore[arg-type]
    async with database.transaction() as connection:
        found: int = (await connection.execute(query)).scalar_one()
    return found


async def statuses(database: Database) -> dict[str, int]:
    query = select(purchase_order.c.status, func.count().label("number")).group_by(purchase_order.c.status)
    async with database.transaction() as connection:
        return {row.status: row.number for row in (await connection.execute(query)).all()}


async def test_one_external_order_id_sent_at_once_many_times__one_order(
    client: httpx.AsyncClient, caller: Caller, database: Database
) -> None:
    body = order_body(externalOrderId="retry-1")

    answers = await asyncio.gather(
        *(client.post(f"{CAPI}/client/order", json=body, headers=caller.headers) for _ in range(20))
    )

    assert {answer.status_code for answer in answers} == {200}
    assert len({answer.json()["orderId"] for answer in answers}) == 1
    assert await count(database, purchase_order) == 1


async def test_same_external_order_id_of_two_clients__two_orders(
    client: httpx.AsyncClient, caller: Caller, database: Database
) -> None:
    other = await register_caller(client, database, "other")

    first = await register(client, caller, order_body(externalOrderId="7"))
    second = await register(client, other, order_body(externalOrderId="7"))

    assert first != second


async def test_two_fulfilment_workers_racing__each_order_processed_once_each_customer_made_once(
    unlimited: httpx.AsyncClient,
    caller: Caller,
    database: Database,
    migrated_database: tuple[str, Database],
    clock: Clock,
) -> None:
    # 30 new customers, met in a different order from batch to batch: workers that created them in
    # the order met would wait on each other's customers (a deadlock on PostgreSQL).
    payers = [
        {"lastName": f"Payer {index * 7 % 30}", "emails": [f"p{index * 7 % 30}@example.com"]}
        for index in range(120)
    ]
    orders = [await register(unlimited, caller, order_body(payer=payer)) for payer in payers]
    for order_id in orders:
        await fulfil(unlimited, caller, order_id)
    # A second engine stands for a second worker process on the same database.
    other = Database.from_url(migrated_database[0], pool_size=2)
    workers = [
        FulfilmentWorker(database, clock, batch=10, poll_seconds=1.0),
        FulfilmentWorker(other, clock, batch=10, poll_seconds=1.0),
    ]

    async def drain(worker: FulfilmentWorker) -> None:
        while await worker.step() == 0:
            pass

    try:
        await asyncio.gather(*(drain(worker) for worker in workers))
    finally:
        await other.dispose()

    assert await statuses(database) == {"processed": 120}
    assert await count(database, purchase_invoice) == 120
    assert await count(database, purchase_customer) == 30
    assert await count(database, purchase_order, purchase_order.c.processing_errors > 0) == 0


@pytest.fixture(params=["sqlite", *(["postgres"] if POSTGRES_URL else [])])
async def own_database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A database of this test's own, which `orderdesk worker` processes connect to as well."""
    url = await own_migrated_database(request.param, POSTGRES_URL, tmp_path, "purchase_workers")
    database = Database.from_url(url, pool_size=2)
    yield database
    await database.dispose()


@contextmanager
def worker_process(home: Path, database: Database, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    url = database.engine.url.render_as_string(hide_password=False)
    env = {
        "ORDERDESK_DATABASE_URL": url,
        "ORDERDESK_PURCHASES_FULFILMENT_BATCH": "5",
        # Callbacks a killed worker had leased are made again by the next one after this long.
        "ORDERDESK_PURCHASES_CALLBACK_LEASE_SECONDS": "2",
    }
    with orderdesk_process(home, ["worker"], env, log, graceful=False) as process:
        yield process


async def wait_for(database: Database, done: object, log: Path) -> dict[str, int]:
    assert callable(done)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + _DEADLINE_SECONDS
    while True:
        now = await statuses(database)
        if done(now):
            return now
        if loop.time() > deadline:
            pytest.fail(f"workers never got there ({now}):\n{log.read_text()[-3000:]}")
        await asyncio.sleep(0.01)


@pytest.mark.slow
async def test_worker_killed_halfway__another_finishes__every_order_once_and_called_back(
    own_database: Database, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    settings = make_settings(home, own_database.engine.url.render_as_string(hide_password=False))
    app = create_app(settings.model_copy(update={"purchases": UNLIMITED}), database=own_database)
    log = tmp_path / "workers.log"
    await load_catalog(own_database)
    with http_stub() as stub:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as http:
            caller = await register_caller(http, own_database)
            for _ in range(300):
                order_id = await register(http, caller, order_body())
                await fulfil(http, caller, order_id, stub.answer("/cb"))

        with worker_process(home, own_database, log) as first:
            at_kill = await wait_for(own_database, lambda now: now.get("processed", 0) >= 20, log)
            first.kill()
        with worker_process(home, own_database, log):
            final = await wait_for(own_database, lambda now: now == {"processed": 300}, log)
            for _ in range(int(_DEADLINE_SECONDS * 10)):
                if len({parse_qs(urlsplit(path).query)["orderId"][0] for path in stub.requests}) == 300:
                    break
                await asyncio.sleep(0.1)

    assert at_kill.get("confirmed", 0) > 0, "the first worker finished before it was killed"
    assert final == {"processed": 300}
    assert await count(own_database, purchase_invoice) == 300
    called_back = {parse_qs(urlsplit(path).query)["orderId"][0] for path in stub.requests}
    assert len(called_back) == 300
