"""What a webhook subscription adds to the end-to-end row: one order of 100 000 e-mail recipients
POSTed to a real `orderdesk serve` (API and workers in one process, SMTP to a local sink), timed until
the API counts every notification as succeeded, without a subscription and then with one (every
notification and order event posted to a local receiver). Both runs in the same benchmark, on fresh
databases; the time until the receiver had every event is reported beside."""

from __future__ import annotations

import asyncio
import subprocess
import time
from pathlib import Path
from tempfile import TemporaryDirectory

import httpx

from bench import webhook_sink
from bench.common import Comparison, postgres_url
from bench.smtp import CONNECTIONS, post_and_wait, smtp_sink, wait_for_port
from tests.support.processes import (
    fresh_postgres_database,
    orderdesk_env,
    orderdesk_executable,
    run_orderdesk,
)
from tests.support.workers import free_port

EVENTS_SETTLED_SECONDS = 5.0
"""The receiver's count has stopped growing for this long: every event has been posted."""


async def _received(http: httpx.AsyncClient, sink_url: str) -> int:
    return int((await http.get(f"{sink_url}/count")).text)


async def _order_run(count: int, sink_url: str | None) -> tuple[float, float | None, int]:
    """Seconds until every notification succeeded; with a subscription, also seconds until the last
    event arrived, and how many arrived."""
    with smtp_sink() as smtp_port, TemporaryDirectory() as folder:
        home = Path(folder)
        env = {
            "ORDERDESK_DATABASE_URL": await fresh_postgres_database(postgres_url(), "e2ehooks"),
            "ORDERDESK_EMAIL_PROVIDER": "smtp",
            "ORDERDESK_SMTP_HOST": "127.0.0.1",
            "ORDERDESK_SMTP_PORT": str(smtp_port),
            "ORDERDESK_SMTP_CONNECTIONS": str(CONNECTIONS),
            "ORDERDESK_MAX_REQUEST_BYTES": str(64 * 1024 * 1024),
            "ORDERDESK_LOG_LEVEL": "WARNING",
            "ORDERDESK_OUTBOUND_ALLOWED_NETWORKS": "127.0.0.0/8",
        }
        api_port = free_port()
        server = subprocess.Popen(
            [orderdesk_executable(), "serve", "--port", str(api_port)],
            env=orderdesk_env(home, env),
            cwd=home,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for_port(api_port)
            token = run_orderdesk(home, "token", "--org", "bench", env=env).stdout.strip()
            base_url = f"http://127.0.0.1:{api_port}"
            if sink_url is not None:
                await _subscribe(base_url, token, sink_url)
            started = time.perf_counter()
            elapsed = await post_and_wait(base_url, token, count)
            if sink_url is None:
                return elapsed, None, 0
            last, received = await _events_settled(sink_url)
            return elapsed, last - started, received
        finally:
            server.terminate()
            server.wait(timeout=60)


async def _subscribe(base_url: str, token: str, sink_url: str) -> None:
    async with httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {token}"}) as http:
        answer = await http.post(
            "/notifications/api/v1/webhooks",
            json={
                "url": f"{sink_url}/hooks",
                "events": ["notification.status_changed", "order.status_changed"],
            },
        )
        answer.raise_for_status()


async def _events_settled(sink_url: str) -> tuple[float, int]:
    """When the receiver's count last grew, once it has stopped growing, and the count."""
    async with httpx.AsyncClient() as http:
        received = await _received(http, sink_url)
        last_growth = time.perf_counter()
        while time.perf_counter() - last_growth < EVENTS_SETTLED_SECONDS:
            await asyncio.sleep(0.5)
            now = await _received(http, sink_url)
            if now != received:
                received, last_growth = now, time.perf_counter()
        return last_growth, received


async def end_to_end_with_subscription(count: int = 100_000) -> Comparison:
    without, _, _ = await _order_run(count, None)
    with webhook_sink.running() as sink_url:
        with_hooks, events_done, received = await _order_run(count, sink_url)
    assert events_done is not None
    return Comparison(
        title=(
            f"One order of {count:,} e-mail recipients with a webhook subscription,"
            " from POST to every notification Succeeded"
        ),
        unit="s",
        ours=[with_hooks],
        baseline=[without],
        baseline_name="the same order without a subscription",
        target=None,
        at_most=1.5,
        notes=(
            f"With the subscription the order took **{with_hooks:.0f} s** against {without:.0f} s without;"
            f" the receiver had all {received:,} events (every notification's and the order's status"
            f" changes) {events_done:.0f} s after the POST. Both runs on fresh PostgreSQL databases, one"
            " after the other, API and workers in one `orderdesk serve` process."
        ),
    )
