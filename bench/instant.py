"""Instant SMS latency: `POST …/future/orders/instant/sms` answered only once the SMS is in the outbox,
against the v1 intake `POST …/orders/sms` (stored, sent later by the workers) in the same run.

Both go to one `orderdesk serve --no-worker` on PostgreSQL with the default outbox providers, one
request at a time from one keep-alive client, the two kinds taking turns round by round; each round
gives a p50 and a p99. The issue's target: instant SMS p99 under 50 ms on the outbox provider.

`python -m bench instant` runs it alone (printing, not writing BENCHMARKS.md).
"""

from __future__ import annotations

import json
import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import httpx

from bench.common import fresh_database, percentile
from bench.http import _orderdesk, _token

ROUNDS = 3
REQUESTS = 400
WARMUP = 50
TARGET_P99_MS = 50.0
_API = "/notifications/api/v1"
_NUMBER = "+4799999999"


def _instant_body() -> dict[str, Any]:
    return {
        "idempotencyId": str(uuid.uuid4()),
        "sendersReference": "bench-instant",
        "recipientSms": {
            "phoneNumber": _NUMBER,
            "timeToLiveInSeconds": 300,
            "smsSettings": {"sender": "Orderdesk", "body": "Your one-time code is 482913."},
        },
    }


def _v1_body() -> dict[str, Any]:
    return {
        "sendersReference": "bench-instant",
        "recipients": [{"mobileNumber": _NUMBER}],
        "senderNumber": "Orderdesk",
        "body": "Your one-time code is 482913.",
    }


async def _latencies(
    http: httpx.AsyncClient, path: str, body: Callable[[], dict[str, Any]], status: int, count: int
) -> list[float]:
    """Milliseconds of each of `count` requests sent one after the other."""
    taken = []
    for _ in range(count):
        payload = json.dumps(body()).encode()
        started = time.perf_counter()
        response = await http.post(path, content=payload)
        taken.append((time.perf_counter() - started) * 1000)
        if response.status_code != status:
            raise RuntimeError(f"{path} answered {response.status_code}: {response.text}")
    return taken


@dataclass(frozen=True, slots=True)
class LatencyResult:
    """Latency per round of instant SMS and of the v1 intake, with the absolute p99 target."""

    instant: list[list[float]]
    intake: list[list[float]]
    outbox_lines: int

    def _median(self, rounds: list[list[float]], fraction: float) -> float:
        return statistics.median(percentile(samples, fraction) for samples in rounds)

    @property
    def verdict(self) -> str:
        return "meets" if self._median(self.instant, 0.99) < TARGET_P99_MS else "MISSES"

    def summary_row(self) -> str:
        p50, p99 = self._median(self.instant, 0.5), self._median(self.instant, 0.99)
        b50, b99 = self._median(self.intake, 0.5), self._median(self.intake, 0.99)
        return (
            "| Instant SMS (`POST …/future/orders/instant/sms`, outbox), one request at a time, 1 worker "
            f"| p50 {p50:.1f} ms, p99 {p99:.1f} ms | p50 {b50:.1f} ms, p99 {b99:.1f} ms (v1 intake "
            f"`POST …/orders/sms`, same server) | p99 {p99 / b99:.2f}x | p99 < {TARGET_P99_MS:.0f} ms "
            f"| {self.verdict} |"
        )

    def markdown(self) -> str:
        def row(name: str, rounds: list[list[float]]) -> str:
            p50s = ", ".join(f"{percentile(samples, 0.5):.1f}" for samples in rounds)
            p99s = ", ".join(f"{percentile(samples, 0.99):.1f}" for samples in rounds)
            return (
                f"| {name} | {self._median(rounds, 0.5):.1f} ms | {self._median(rounds, 0.99):.1f} ms "
                f"| {p50s} | {p99s} |"
            )

        added50 = self._median(self.instant, 0.5) - self._median(self.intake, 0.5)
        added99 = self._median(self.instant, 0.99) - self._median(self.intake, 0.99)
        return "\n".join(
            [
                "### Instant SMS (`POST …/future/orders/instant/sms`, outbox), one request at a time",
                "",
                "| | p50 (median of rounds) | p99 (median of rounds) | p50 per round | p99 per round |",
                "|---|---|---|---|---|",
                row("instant SMS (201 once the SMS is in the outbox)", self.instant),
                row("v1 intake `POST …/orders/sms` (202, stored only)", self.intake),
                "",
                f"Instant SMS p99 **{self._median(self.instant, 0.99):.1f} ms** (target under "
                f"{TARGET_P99_MS:.0f} ms: {self.verdict}); it adds {added50:.1f} ms at p50 and "
                f"{added99:.1f} ms at p99 to the v1 intake.",
                "",
                f"{ROUNDS} rounds of {REQUESTS} requests of each kind, taking turns, after {WARMUP} of each; "
                "one keep-alive httpx client, one request in flight, timed from send to answer. Server: "
                "`orderdesk serve --no-worker` (uvicorn, 1 worker) on PostgreSQL, default outbox "
                "providers. An instant SMS makes two short transactions (claim the id with the order "
                "and its Sending notification; after the outbox append, record the result through the "
                "status transitions) against the intake's one autocommitted INSERT. "
                f"Lines in the SMS outbox afterwards: {self.outbox_lines} (one per instant SMS).",
            ]
        )


async def run(rounds: int = ROUNDS, requests: int = REQUESTS) -> LatencyResult:
    url, database = await fresh_database("instant")
    await database.dispose()
    with TemporaryDirectory() as folder:
        home = Path(folder).resolve()
        headers = {"Authorization": f"Bearer {_token(home)}", "Content-Type": "application/json"}
        async with (
            _orderdesk(home, url) as base_url,
            httpx.AsyncClient(base_url=base_url, headers=headers, timeout=30) as http,
        ):
            instant_path, intake_path = f"{_API}/future/orders/instant/sms", f"{_API}/orders/sms"
            await _latencies(http, instant_path, _instant_body, 201, WARMUP)
            await _latencies(http, intake_path, _v1_body, 202, WARMUP)
            instant: list[list[float]] = []
            intake: list[list[float]] = []
            for index in range(rounds):
                kinds = [(instant, instant_path, _instant_body, 201), (intake, intake_path, _v1_body, 202)]
                for results, path, body, status in kinds if index % 2 == 0 else reversed(kinds):
                    results.append(await _latencies(http, path, body, status, requests))
        outbox = home / "outbox" / "sms.jsonl"
        lines = len(outbox.read_text().splitlines()) if outbox.exists() else 0
    return LatencyResult(instant=instant, intake=intake, outbox_lines=lines)
