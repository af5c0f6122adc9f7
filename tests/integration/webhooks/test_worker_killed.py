"""A real `orderdesk worker` killed with SIGKILL in the middle of posting a subscription's events loses
none: once its lease has run out another worker posts every event it had not written as delivered,
with the same webhook-id, in order. Duplicates are allowed (at least once), at most two batches."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from orderdesk.app import create_app
from orderdesk.core.db import Database
from tests.conftest import BACKENDS, POSTGRES_URL, Tokens, make_settings
from tests.integration.webhooks.conftest import NOTIFICATION_HOOKS, outbox_states, ping
from tests.support.processes import orderdesk_process, own_migrated_database
from tests.support.webhook_receiver import WebhookReceiver, webhook_receiver

pytestmark = pytest.mark.slow

EVENTS = 300
BATCH = 50
KILL_AFTER = 120
"""Posts seen before the kill: two batches written as delivered, the third under way."""
DEADLINE_SECONDS = 90.0


@pytest.fixture(params=BACKENDS)
async def own_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return await own_migrated_database(request.param, POSTGRES_URL, tmp_path, "webhook_kill")


@pytest.fixture
async def api(home: Path, own_database: str) -> AsyncIterator[tuple[httpx.AsyncClient, Database]]:
    """The API in this process on the test's database (the session home holds the signing key)."""
    database = Database.from_url(own_database, pool_size=2)
    app = create_app(make_settings(home, own_database), database=database)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as http:
        yield http, database
    await database.dispose()


@contextmanager
def worker(home: Path, database_url: str) -> Iterator[subprocess.Popen[bytes]]:
    """`orderdesk worker` with a short webhook lease (9 s: twice the 2 s deadline and 5 s), small
    batches and a short poll (SQLite has no wake-up across processes); killed when the block ends."""
    env = {
        "ORDERDESK_DATABASE_URL": database_url,
        "ORDERDESK_WEBHOOKS_LEASE_SECONDS": "2",
        "ORDERDESK_WEBHOOKS_TIMEOUT_SECONDS": "2",
        "ORDERDESK_WEBHOOKS_BATCH": str(BATCH),
        "ORDERDESK_WEBHOOKS_POLL_SECONDS": "0.2",
        "ORDERDESK_LOG_FORMAT": "json",
    }
    with orderdesk_process(home, ["worker"], env, home / "worker.log", graceful=False) as process:
        yield process


async def until_received(receiver: WebhookReceiver, count: int, log: Path) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DEADLINE_SECONDS
    while len(receiver.received) < count:
        if loop.time() > deadline:
            tail = log.read_text()[-3000:] if log.exists() else ""
            pytest.fail(f"{len(receiver.received)} of {count} webhooks arrived\n{tail}")
        await asyncio.sleep(0.05)


async def test_worker_killed_mid_delivery__another_posts_the_rest__no_event_missing(
    api: tuple[httpx.AsyncClient, Database], tokens: Tokens, own_database: str, tmp_path: Path
) -> None:
    http, database = api
    with webhook_receiver() as receiver:
        receiver.delay_seconds = 0.01  # slow enough that the kill lands mid-run
        created = await http.post(
            NOTIFICATION_HOOKS,
            json={"url": receiver.url, "events": ["notification.status_changed"], "description": "kill"},
            headers=tokens.bearer("ttd"),
        )
        assert created.status_code == 201, created.text
        subscription = created.json()
        queued = [await ping(http, tokens, subscription["id"]) for _ in range(EVENTS)]

        first_home, second_home = tmp_path / "first", tmp_path / "second"
        with worker(first_home, own_database) as first:
            await until_received(receiver, KILL_AFTER, first_home / "worker.log")
            first.kill()
            first.wait()
        seen_before_kill = len(receiver.received)
        assert seen_before_kill < EVENTS, "the kill landed after the run: nothing was tested"

        with worker(second_home, own_database):
            loop = asyncio.get_running_loop()
            deadline = loop.time() + DEADLINE_SECONDS
            while set((await outbox_states(database, subscription["id"])).values()) != {"delivered"}:
                if loop.time() > deadline:
                    tail = (second_home / "worker.log").read_text()[-3000:]
                    pytest.fail(
                        f"{len(receiver.received)} webhooks arrived, not every event delivered\n{tail}"
                    )
                await asyncio.sleep(0.1)

    arrived = [item.message_id for item in receiver.received]
    assert set(arrived) == set(queued)  # none missing, none foreign
    assert list(dict.fromkeys(arrived)) == queued  # first arrivals in the order queued
    # Repeats: at most what the dead worker had not written, the batch it was posting and the one
    # before, whose write runs while the next is posted.
    assert len(arrived) - EVENTS <= 2 * BATCH
    for item in receiver.received:
        assert item.verify(subscription["secret"])["type"] == "webhook.ping"
