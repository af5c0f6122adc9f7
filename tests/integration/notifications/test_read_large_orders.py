"""Reading an order of 100 000 recipients holds no one else up: its answer is built off the event loop
of a real `orderdesk serve`, so `/health` is answered while four such reads are in flight."""

from __future__ import annotations

import asyncio
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import httpx
import pytest

from orderdesk.core.db import Database
from orderdesk.core.offload import LARGE
from orderdesk.core.outbound import AddressPolicy, OutboundClient
from orderdesk.notifications.models import (
    Creator,
    EmailTemplate,
    NotificationChannel,
    OrderRequest,
    Recipient,
)
from orderdesk.notifications.providers.conditions import SendConditionChecker
from orderdesk.notifications.repository import queue
from orderdesk.notifications.rules.expansion import ExpansionRules
from orderdesk.notifications.service import orders as service
from orderdesk.notifications.tasks.processing import process_order
from tests.support.notifications_api import API
from tests.support.processes import Server, run_orderdesk, serving, wait_until_healthy

RECIPIENTS = 100_000
READERS = 4


async def _register(database: Database, recipients: int, send_at: datetime) -> UUID:
    """An e-mail order of `ttd` with `recipients` recipients, registered as the intake does."""
    request = OrderRequest(
        notification_channel=NotificationChannel.EMAIL,
        recipients=[Recipient(email_address=f"r{index}@example.com") for index in range(recipients)],
        requested_send_time=send_at,
        email_template=EmailTemplate("sender@example.com", "A subject", "A body"),
    )
    async with database.transaction() as connection:
        registration = await service.register_order(
            connection,
            Creator("ttd"),
            request,
            now=datetime.now(UTC),
            defaults=service.OrderDefaults("sender@example.com", "sender"),
            outbound=AddressPolicy(),
        )
    return registration.order_id


async def _register_large_order(url: str) -> UUID:
    database = Database.from_url(url)
    try:
        return await _register(database, RECIPIENTS, datetime.now(UTC) + timedelta(days=1))
    finally:
        await database.dispose()


async def _timed_get(http: httpx.AsyncClient, path: str, headers: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    response = await http.get(path, headers=headers)
    assert response.status_code == 200, response.text[:500]
    return time.perf_counter() - started


async def _health_while(server: Server, reads: list[asyncio.Task[float]]) -> list[float]:
    """Seconds of each `/health` asked one after the other and answered while every read was in flight."""
    latencies: list[float] = []
    async with httpx.AsyncClient(base_url=server.base_url, timeout=120) as http:
        while True:
            latency = await _timed_get(http, "/health")
            if any(read.done() for read in reads):
                return latencies
            latencies.append(latency)


@pytest.mark.slow
async def test_read_of_a_100k_recipient_order__health_answered_meanwhile(
    tmp_path: Path, database_env: dict[str, str]
) -> None:
    url = database_env.get("ORDERDESK_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'orderdesk.db'}")
    minted = run_orderdesk(tmp_path, "token", "--org", "ttd")
    assert minted.returncode == 0, minted.stderr
    auth = {"Authorization": f"Bearer {minted.stdout.strip()}"}
    with serving(tmp_path, database_env, "--no-worker") as server:
        await wait_until_healthy(server)  # migrated
        order = f"{API}/orders/{await _register_large_order(url)}"
        async with httpx.AsyncClient(base_url=server.base_url, timeout=300) as http:
            alone = await _timed_get(http, order, auth)
            reads = [asyncio.create_task(_timed_get(http, order, auth)) for _ in range(READERS)]
            health = await _health_while(server, reads)
            together = await asyncio.gather(*reads)

    # While the reads were built on the loop, a /health waited for them (3 s with four reads of a
    # 100 000-recipient order): now it takes a small part of one read, however many are in flight.
    assert len(health) >= 3, (health, alone, together)
    assert statistics.median(health) < alone / 4, (health, alone, together)


async def test_notifications_of_an_order_past_the_offload_size__every_one_listed_once(
    client: httpx.AsyncClient, auth: dict[str, str], database: Database
) -> None:
    count = LARGE + LARGE // 2  # the rows beyond the first LARGE are converted in the offload thread
    now = datetime.now(UTC)
    order_id = await _register(database, count, now)
    async with database.transaction() as connection:
        [claim] = await queue.claim_due_orders(connection, now=now, limit=1, lease=timedelta(minutes=5))
    checker = SendConditionChecker(OutboundClient(AddressPolicy()), 10)
    try:
        await process_order(
            database,
            claim,
            now=now,
            rules=ExpansionRules(),
            checker=checker,
            condition_retry_delay=timedelta(0),
        )
    finally:
        await checker.aclose()

    response = await client.get(f"{API}/orders/{order_id}/notifications/email", headers=auth)

    assert response.status_code == 200, response.text[:500]
    body = response.json()
    assert (body["generated"], len(body["notifications"])) == (count, count)
    assert len({item["id"] for item in body["notifications"]}) == count
    assert {item["recipient"]["emailAddress"] for item in body["notifications"]} == {
        f"r{index}@example.com" for index in range(count)
    }


async def _health_until_processed(
    server: Server, order: str, auth: dict[str, str]
) -> tuple[list[float], float]:
    """Seconds of each `/health` asked one after the other while the worker of `serve` expands the
    order, and the seconds the expansion took (until the order is no longer Registered/Processing)."""
    latencies: list[float] = []
    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=server.base_url, timeout=120) as http:
        while True:
            latencies.append(await _timed_get(http, "/health"))
            status = await http.get(f"{order}/status", headers=auth)
            assert status.status_code == 200, status.text[:500]
            if status.json()["processingStatus"]["status"] not in ("Registered", "Processing"):
                return latencies, time.perf_counter() - started


@pytest.mark.slow
async def test_expansion_of_a_100k_recipient_order__health_answered_meanwhile(
    tmp_path: Path, database_env: dict[str, str]
) -> None:
    url = database_env.get("ORDERDESK_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'orderdesk.db'}")
    minted = run_orderdesk(tmp_path, "token", "--org", "ttd")
    assert minted.returncode == 0, minted.stderr
    auth = {"Authorization": f"Bearer {minted.stdout.strip()}"}
    with serving(tmp_path, database_env) as server:
        await wait_until_healthy(server)  # migrated
        database = Database.from_url(url)
        try:
            order = f"{API}/orders/{await _register(database, RECIPIENTS, datetime.now(UTC))}"
        finally:
            await database.dispose()
        health, took = await _health_until_processed(server, order, auth)
    # The in-process worker expanded the order (and built its rows) on the loop of the API: one
    # `/health` waited 1.6 s of a 4 s expansion. Now the loop is held only moments at a time.
    assert max(health) < took / 3, (sorted(health)[-5:], took)
