"""`/metrics` adds up every process on a home: an API started with `--no-worker` places the order,
a separate `orderdesk worker` sends it, and one scrape of the API shows both processes' counts (the
worker's only reach it through the home's shared metrics directory). Readiness waits for the
external worker's heartbeat when told to expect one."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from tests.factories.notifications import email_order
from tests.integration.test_pipeline_processes import until_sent, working
from tests.integration.test_serve_process import API, mint_token
from tests.support.metrics import scrape
from tests.support.processes import serving, wait_until_healthy

pytestmark = pytest.mark.slow

_READY_DEADLINE_SECONDS = 60.0


async def until_ready(http: httpx.AsyncClient, log: Path) -> dict[str, object]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + _READY_DEADLINE_SECONDS
    while True:
        response = await http.get("/health/ready")
        if response.status_code == 200:
            body: dict[str, object] = response.json()
            return body
        assert response.status_code == 503, response.text
        if loop.time() > deadline:
            pytest.fail(f"never ready: {response.text}\n{log.read_text()}")
        await asyncio.sleep(0.2)


async def test_metrics__api_and_a_separate_worker_process__one_scrape_adds_both_up(
    tmp_path: Path, database_env: dict[str, str]
) -> None:
    home = tmp_path / "home"
    env = {**database_env, "ORDERDESK_WORKER_EXPECT_EXTERNAL": "true"}
    with serving(home, env, "--no-worker") as server:
        await wait_until_healthy(server)
        async with httpx.AsyncClient(base_url=server.base_url, headers=mint_token(home, env)) as http:
            waiting = await http.get("/health/ready")
            assert waiting.status_code == 503
            assert waiting.json()["notReady"] == ["workers"]
            with working(home, env):
                ready = await until_ready(http, home / "worker.log")
                assert ready["checks"] == {"database": "ok", "migrations": "ok", "workers": "ok"}
                placed = await http.post(
                    f"{API}/orders/email",
                    json=email_order(requestedSendTime=None, recipients=[{"emailAddress": "a@example.com"}]),
                )
                assert placed.status_code == 202, placed.text
                await until_sent(http, placed.json()["orderId"], "email", home / "worker.log")
                metrics = await scrape(http)

    # Placed in the API process; claimed, sent and delivered in the worker process.
    assert metrics.value("orderdesk_orders_placed_total", family="notifications", type="notification") == 1
    assert metrics.value("orderdesk_notification_transitions_total", channel="email", status="New") == 1
    assert metrics.value("orderdesk_notification_transitions_total", channel="email", status="Delivered") == 1
    assert metrics.value("orderdesk_notification_due_to_provider_seconds_count", channel="email") == 1
    route = {"route": "/notifications/api/v1/orders/email", "method": "POST", "status": "202"}
    assert metrics.value("orderdesk_http_requests_total", **route) == 1
    assert len({path.name.rsplit("_", 1)[-1] for path in (home / "metrics").glob("counter_*.db")}) >= 2
