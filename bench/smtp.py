"""Sending e-mail through SMTP to a local aiosmtpd sink (a separate process that discards mail).

- `dispatch`: orderdesk's e-mail dispatch loop (claim batches from PostgreSQL, send through the SMTP
  provider, write every result back) against aiosmtplib alone sending the same messages over the
  same number of persistent connections, nothing else. Messages per second.
- `end_to_end`: one order of 100 000 e-mail recipients POSTed to a real `orderdesk serve` (API and
  workers in one process, SMTP provider), timed until the API counts every notification as
  succeeded (Delivered, as the sink offers no DSN). The baseline is aiosmtplib alone sending as many
  messages, the lower bound on the time.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email.message import EmailMessage as MimeMessage
from pathlib import Path
from tempfile import TemporaryDirectory

import aiosmtplib
import httpx

from bench.common import Baseline, Comparison, expanded_email_order, fresh_database, postgres_url
from orderdesk.core.db import Database
from orderdesk.notifications.models import (
    Channel,
)
from orderdesk.notifications.providers.smtp import SmtpProvider
from orderdesk.notifications.tasks.dispatch import Dispatcher, DispatchSettings, email_message
from tests.support.processes import (
    fresh_postgres_database,
    orderdesk_env,
    orderdesk_executable,
    run_orderdesk,
)
from tests.support.workers import free_port

CONNECTIONS = 4
NOTIFY_JOB_ROWS = 100_000
NOTIFY_JOB_SECONDS = 600
"""GOV.UK Notify's published figure: about ten minutes to send a job of 100 000 rows."""
END_TO_END_AIM_SECONDS = 120


@contextmanager
def smtp_sink() -> Iterator[int]:
    """aiosmtpd with its discarding handler, in a process of its own; yields the port."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Sink"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def wait_for_port(port: int) -> None:
    import socket

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")


def _message(index: int) -> MimeMessage:
    mime = MimeMessage()
    mime["From"] = "bench@example.com"
    mime["To"] = f"r{index}@example.com"
    mime["Subject"] = "Benchmark"
    mime.set_content("A message from the benchmark.")
    return mime


async def aiosmtplib_alone(port: int, count: int) -> float:
    """Messages per second with `CONNECTIONS` persistent connections, each sending its share.

    The messages are rendered to bytes before the clock starts: the baseline is the SMTP exchange
    alone, the most aiosmtplib can do."""
    messages = [(f"r{index}@example.com", _message(index).as_bytes()) for index in range(count)]

    async def connection(share: list[tuple[str, bytes]]) -> None:
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port)
        await client.connect()
        for recipient, data in share:
            await client.sendmail("bench@example.com", [recipient], data)
        await client.quit()

    started = time.perf_counter()
    await asyncio.gather(*(connection(messages[i::CONNECTIONS]) for i in range(CONNECTIONS)))
    return count / (time.perf_counter() - started)


async def orderdesk_dispatch(database: Database, port: int, count: int) -> float:
    await expanded_email_order(database, count)
    provider = SmtpProvider(
        host="127.0.0.1", port=port, clock=lambda: datetime.now(UTC), connections=CONNECTIONS
    )
    dispatcher = Dispatcher(
        Channel.EMAIL,
        provider,
        email_message,
        database=database,
        clock=lambda: datetime.now(UTC),
        settings=DispatchSettings(),  # the defaults a worker runs with: batches of 500, 20 in flight
    )
    started = time.perf_counter()
    try:
        while await dispatcher.step() == 0.0:
            pass
    finally:
        await provider.aclose()
    return count / (time.perf_counter() - started)


DISPATCH_SHORTFALL = (
    "orderdesk sends with aiosmtplib too, so the gap is what it does besides: per message it renders"
    " the MIME message, and per batch it claims from PostgreSQL and writes every result back, with"
    " the sink, PostgreSQL and orderdesk sharing the 2 cores (py-spy: most of its time inside"
    " aiosmtplib and the event loop, sending 21%, writing results 6%, MIME 2%; 0.74x on a quiet"
    " machine)"
)
"""Why dispatch can fall below 0.7x, from its profile (BENCHMARKS.md notes); said only if a run does."""


async def dispatch(count: int = 10_000, rounds: int = 3) -> Comparison:
    ours: list[float] = []
    baseline: list[float] = []
    with smtp_sink() as port:
        for _ in range(rounds):
            _url, database = await fresh_database("smtp")
            try:
                ours.append(await orderdesk_dispatch(database, port, count))
            finally:
                await database.dispose()
            baseline.append(await aiosmtplib_alone(port, count))
    return Comparison(
        title=f"E-mail dispatch to a local SMTP sink, {count:,} messages, {CONNECTIONS} connections",
        unit="messages/s",
        ours=ours,
        baseline=baseline,
        baseline_name="aiosmtplib alone",
        target=0.7,
        shortfall=DISPATCH_SHORTFALL,
        notes=(
            "orderdesk's figure includes claiming from PostgreSQL and writing every result back; it"
            " runs with the worker defaults (20 messages in flight over the 4 connections). The sink"
            " is one Python process, so both figures move with it from round to round."
        ),
    )


ALONE_SAMPLE = 20_000
"""Messages aiosmtplib alone sends for the end-to-end comparison: its rate does not change with the
count, and sending all 100 000 took a minute of the 15 the whole suite may take."""


async def end_to_end(count: int = 100_000) -> Comparison:
    with smtp_sink() as port, TemporaryDirectory() as folder:
        home = Path(folder)
        env = {
            "ORDERDESK_DATABASE_URL": await fresh_postgres_database(postgres_url(), "e2e"),
            "ORDERDESK_EMAIL_PROVIDER": "smtp",
            "ORDERDESK_SMTP_HOST": "127.0.0.1",
            "ORDERDESK_SMTP_PORT": str(port),
            "ORDERDESK_SMTP_CONNECTIONS": str(CONNECTIONS),
            "ORDERDESK_MAX_REQUEST_BYTES": str(64 * 1024 * 1024),
            "ORDERDESK_LOG_LEVEL": "WARNING",
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
            elapsed = await post_and_wait(f"http://127.0.0.1:{api_port}", token, count)
        finally:
            server.terminate()
            server.wait(timeout=60)
        alone = count / await aiosmtplib_alone(port, ALONE_SAMPLE)
    return Comparison(
        title=f"One order of {count:,} e-mail recipients, from POST to every notification Succeeded",
        unit="messages/s",
        ours=[count / elapsed],
        baseline=[NOTIFY_JOB_ROWS / NOTIFY_JOB_SECONDS],
        baseline_name="GOV.UK Notify's published ~10 min per 100,000-row job",
        # Under 2 minutes for 100 000 messages is 5x Notify's rate.
        target=NOTIFY_JOB_SECONDS / END_TO_END_AIM_SECONDS,
        others=(Baseline("aiosmtplib alone, same sink", [count / alone]),),
        shortfall=(
            f"sending sets the pace: orderdesk's whole run went at {alone / elapsed:.2f}x the rate of"
            " aiosmtplib alone on the same sink, whose own floor is"
            f" {alone:.0f} s for {count:,} messages on this machine; see the dispatch row for the gap"
        ),
        notes=(
            f"orderdesk took **{elapsed:.0f} s** (POST, expansion, dispatch over SMTP, results written);"
            f" aiosmtplib alone, at its rate over {ALONE_SAMPLE:,} messages to the same sink, would need"
            f" {alone:.0f} s to push as many. Aim: under"
            f" {END_TO_END_AIM_SECONDS} s on this 2-core machine (the target ratio against Notify's rate)."
        ),
    )


async def post_and_wait(base_url: str, token: str, count: int) -> float:
    body = {
        "recipients": [{"emailAddress": f"r{index}@example.com"} for index in range(count)],
        "subject": "Benchmark",
        "body": "A message from the benchmark.",
    }
    async with httpx.AsyncClient(
        base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=600
    ) as http:
        started = time.perf_counter()
        placed = await http.post("/notifications/api/v1/orders/email", json=body)
        placed.raise_for_status()
        status_url = f"/notifications/api/v1/orders/{placed.json()['orderId']}/status"
        while True:
            summary = (await http.get(status_url)).json().get("notificationsStatusSummary") or {}
            email = summary.get("email") or {}
            if email.get("generated") == count and email.get("succeeded") == count:
                return time.perf_counter() - started
            await asyncio.sleep(0.5)
