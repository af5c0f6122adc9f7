"""Finding 15: a worker killed with SIGKILL must not keep its claims for the length of a lease.

A real `orderdesk worker` claims a large batch of e-mails and sends them to an SMTP server that stops
answering; it is killed mid-batch while a second worker is already running. The lease is left at the
old default (300 s), so only the dead worker's missing heartbeats can let the second one take over in
time: every message must then arrive exactly once, far sooner than the lease would allow. The same for
a data-order sub-order whose worker is killed mid-copy (old staging lease: 1800 s)."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from orderdesk.app import create_app
from orderdesk.core.db import Database
from orderdesk.settings import DataOrderSettings
from tests.conftest import BACKENDS, POSTGRES_URL, Tokens, make_settings
from tests.factories.notifications import email_order
from tests.integration.dataorders.flow import MIB, files_of, order_all, order_of
from tests.integration.dataorders.test_staging_workers import catalogue, download_all
from tests.support.notifications_api import notifications, place, status
from tests.support.processes import orderdesk_process, own_migrated_database
from tests.support.smtp_sink import SmtpSink

pytestmark = pytest.mark.slow

OLD_LEASE_SECONDS = 300
TAKEOVER_DEADLINE_SECONDS = 30.0
"""Far below the lease: only the dead worker's heartbeat going stale can free its claims this soon."""
STARTUP_DEADLINE_SECONDS = 60.0
RECIPIENTS = 500
"""One dispatch batch (ORDERDESK_WORKER_DISPATCH_BATCH defaults to 500): the first worker claims all."""
ACCEPTED = 60


@pytest.fixture(params=BACKENDS)
async def own_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return await own_migrated_database(request.param, POSTGRES_URL, tmp_path, "takeover")


@pytest.fixture
async def api(home: Path, own_database: str) -> AsyncIterator[httpx.AsyncClient]:
    """The API in this process on the test's database (the session home holds the signing key)."""
    database = Database.from_url(own_database, pool_size=2)
    app = create_app(make_settings(home, own_database), database=database)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as http:
        yield http
    await database.dispose()


@contextmanager
def worker(home: Path, database_url: str, sink: SmtpSink) -> Iterator[subprocess.Popen[bytes]]:
    """`orderdesk worker` sending through the sink with the old lease and the default heartbeat
    settings; killed when the block ends, if still running."""
    env = {
        "ORDERDESK_DATABASE_URL": database_url,
        "ORDERDESK_EMAIL_PROVIDER": "smtp",
        "ORDERDESK_SMTP_HOST": sink.host,
        "ORDERDESK_SMTP_PORT": str(sink.port),
        "ORDERDESK_SMTP_TIMEOUT_SECONDS": "600",
        "ORDERDESK_WORKER_LEASE_SECONDS": str(OLD_LEASE_SECONDS),
        "ORDERDESK_LOG_FORMAT": "json",
    }
    with orderdesk_process(home, ["worker"], env, home / "worker.log", graceful=False) as process:
        yield process


async def succeeded(api: httpx.AsyncClient, auth: dict[str, str], order_id: str) -> int:
    summary: dict[str, Any] = (await status(api, auth, order_id)).get("notificationsStatusSummary") or {}
    count: int = (summary.get("email") or {}).get("succeeded", 0)
    return count


async def until_succeeded(
    api: httpx.AsyncClient, auth: dict[str, str], order_id: str, count: int, seconds: float, *logs: Path
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    done = 0
    while loop.time() < deadline:
        done = await succeeded(api, auth, order_id)
        if done >= count:
            return
        await asyncio.sleep(0.2)
    tails = "\n".join(log.read_text()[-3000:] for log in logs if log.exists())
    pytest.fail(f"{done} of {count} succeeded within {seconds:.0f} s\n{tails}")


async def until_started(process: subprocess.Popen[bytes], log: Path) -> None:
    """Until the worker says it runs (it logs `worker_started` once its loops are started)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STARTUP_DEADLINE_SECONDS
    while "worker_started" not in (log.read_text() if log.exists() else ""):
        if process.poll() is not None or loop.time() > deadline:
            pytest.fail(f"the worker did not start:\n{log.read_text() if log.exists() else ''}")
        await asyncio.sleep(0.1)


async def test_worker_killed_mid_batch__survivor_takes_over_within_seconds__each_message_once(
    api: httpx.AsyncClient, auth: dict[str, str], own_database: str, sink: SmtpSink, tmp_path: Path
) -> None:
    addresses = [f"person{i:03}@example.com" for i in range(RECIPIENTS)]
    sink.accept_limit = ACCEPTED  # then the relay stops answering DATA: the batch hangs mid-way
    first_home, second_home = tmp_path / "first", tmp_path / "second"
    with worker(first_home, own_database, sink) as first:
        order_id = await place(
            api,
            auth,
            "/orders/email",
            email_order(requestedSendTime=None, recipients=[{"emailAddress": a} for a in addresses]),
        )
        await until_succeeded(api, auth, order_id, ACCEPTED, 90.0, first_home / "worker.log")
        await sink.wait_until(received=ACCEPTED, stalled=1)
        with worker(second_home, own_database, sink) as second:
            await until_started(second, second_home / "worker.log")
            # The first worker holds every other message of the order, hanging on the relay.
            assert await succeeded(api, auth, order_id) == ACCEPTED
            first.kill()
            first.wait()
            # The dead worker's sessions are answered 451 (never delivered); the relay accepts again.
            sink.release()
            await until_succeeded(
                api, auth, order_id, RECIPIENTS, TAKEOVER_DEADLINE_SECONDS, second_home / "worker.log"
            )

    summary = await notifications(api, auth, order_id, "email")
    statuses = {n["recipient"]["emailAddress"]: n["sendStatus"]["status"] for n in summary["notifications"]}
    # No bounce address is set, so no report can come: a message the relay accepted is Delivered.
    assert statuses == dict.fromkeys(addresses, "Delivered")
    assert sink.recipients() == dict.fromkeys(addresses, 1)


OLD_STAGING_LEASE_SECONDS = 1800
STAGING_DEADLINE_SECONDS = 45.0
"""The takeover (seconds) and the copying of three files of 96 MiB, on a busy machine."""


@pytest.fixture
async def data_api(tmp_path: Path, own_database: str) -> AsyncIterator[tuple[httpx.AsyncClient, Database]]:
    """The data-order API in this process, sharing its home (the staging area) with the workers; it
    splits orders into sub-orders of 1 MiB (so one per product)."""
    database = Database.from_url(own_database, pool_size=2)
    settings = make_settings(tmp_path / "home", own_database)
    settings = settings.model_copy(update={"dataorders": DataOrderSettings(bucket_mb=1)})
    app = create_app(settings, database=database)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        yield http, database
    await database.dispose()


@contextmanager
def staging_worker(home: Path, database_url: str, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    env = {
        "ORDERDESK_DATABASE_URL": database_url,
        "ORDERDESK_DATAORDER_STAGING_LEASE_SECONDS": str(OLD_STAGING_LEASE_SECONDS),
        # The dead worker's sub-order holds one of the user's slots until it is taken over.
        "ORDERDESK_DATAORDER_MAX_SUBORDERS_PER_USER": "3",
        "ORDERDESK_LOG_FORMAT": "json",
    }
    with orderdesk_process(home, ["worker"], env, log, graceful=False) as process:
        yield process


async def test_worker_killed_mid_copy__survivor_stages_the_suborder_within_seconds__every_file_whole(
    data_api: tuple[httpx.AsyncClient, Database], own_database: str, tmp_path: Path
) -> None:
    api, database = data_api
    home = tmp_path / "home"
    user = Tokens(home).user("ola@example.com")
    expected = await catalogue(database, tmp_path / "catalogue", {f"P{i}": 96 * MIB for i in range(3)})
    order_id = await order_all(api, user, "data")
    area = home / "dataorders" / str(order_id)
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    loop = asyncio.get_running_loop()

    with staging_worker(home, own_database, first_log) as first:
        deadline = loop.time() + STARTUP_DEADLINE_SECONDS
        while not (area.is_dir() and any(path.suffix == ".partial" for path in area.iterdir())):
            if loop.time() > deadline:
                pytest.fail(f"the first worker never started copying:\n{first_log.read_text()[-3000:]}")
            await asyncio.sleep(0.02)
        with staging_worker(home, own_database, second_log) as second:
            await until_started(second, second_log)
            first.kill()
            first.wait()
            deadline = loop.time() + STAGING_DEADLINE_SECONDS
            while (await order_of(api, user, order_id))["status"] != "DONE":
                if loop.time() > deadline:
                    body = await order_of(api, user, order_id)
                    tail = second_log.read_text()[-3000:]
                    pytest.fail(f"not DONE within {STAGING_DEADLINE_SECONDS:.0f} s: {body}\n{tail}")
                await asyncio.sleep(0.1)

    assert await download_all(api, user, order_id) == expected
    assert set((await files_of(api, user, order_id)).values()) == {"DOWNLOADED"}
    assert [path.name for path in area.iterdir() if path.suffix == ".partial"] == []
