"""An open-loop HTTP load generator for the sustained mixed-load benchmark, in a process of its own.

Requests are due at a fixed rate whatever the server does (open loop), and each one's latency runs
from when it was due, not from when a connection was free to send it: when the server falls behind,
the wait shows in the figures instead of slowing the load (no coordinated omission). Requests go out
over a fixed set of keep-alive connections as plain HTTP/1.1 written by hand on asyncio streams, so
that the generator's own CPU time stays a small share of a core (it is measured and reported).

`python -m bench.load_client PLAN.json` reads the plan (base URL, token, intake rate, seconds) and
prints its results as one JSON object.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from bench.http1 import content_length

API = "/notifications/api/v1"
STATUS_READS_PER_ORDER = 5
FEED_POLLS_PER_SECOND = 10
SHIPMENT_READS_PER_ORDER = 0.5
CONNECTIONS = 64
RECENT_ORDERS = 200
"""Status and shipment reads pick among this many of the most recently placed orders."""


@dataclass(frozen=True, slots=True)
class Plan:
    base_url: str
    token: str
    intake_per_second: float
    seconds: float

    @classmethod
    def read(cls, path: str) -> Plan:
        with open(path) as source:
            return cls(**json.load(source))


@dataclass(slots=True)
class Request:
    kind: str
    due: float
    method: str
    path: str
    body: bytes = b""


@dataclass
class Results:
    latencies_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    latest_start_ms: float = 0.0
    """The most the scheduler itself was late putting a request on the queue (its own lag, not the
    server's)."""


def _recipients(count: int, channel: str) -> list[dict[str, str]]:
    if channel == "email":
        return [{"emailAddress": f"r{index}@example.com"} for index in range(count)]
    return [{"mobileNumber": f"+4799{random.randrange(1_000_000):06d}"} for _ in range(count)]


def intake_request(due: float, draw: float) -> Request:
    """Half v1 e-mail orders, a quarter v1 SMS orders (one to ten recipients each), a quarter order
    chains (an e-mail and an SMS reminder)."""
    if draw < 0.75:
        channel = "email" if draw < 0.5 else "sms"
        order: dict[str, Any] = {
            "sendersReference": "bench-mixed",
            "recipients": _recipients(random.randint(1, 10), channel),
            "body": "A message from the benchmark.",
        }
        if channel == "email":
            order["subject"] = "Benchmark"
        return Request(
            f"intake_{channel}", due, "POST", f"{API}/orders/{channel}", json.dumps(order).encode()
        )
    chain = {
        "idempotencyId": f"bench-{uuid.uuid4()}",
        "sendersReference": "bench-mixed",
        "recipient": {
            "recipientEmail": {
                "emailAddress": "r0@example.com",
                "emailSettings": {"subject": "Benchmark", "body": "A message from the benchmark."},
            }
        },
        "reminders": [
            {
                "delayDays": 7,
                "recipient": {
                    "recipientSms": {
                        "phoneNumber": f"+4799{random.randrange(1_000_000):06d}",
                        "smsSettings": {"body": "A reminder from the benchmark."},
                    }
                },
            }
        ],
    }
    return Request("intake_chain", due, "POST", f"{API}/future/orders", json.dumps(chain).encode())


class Generator:
    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        address = urlsplit(plan.base_url)
        self.host, self.port = address.hostname or "127.0.0.1", address.port or 80
        self.queue: asyncio.Queue[Request | None] = asyncio.Queue()
        self.results = Results()
        self.recent_orders: deque[str] = deque(maxlen=RECENT_ORDERS)
        self.feed_cursor = 0

    def schedule(self) -> list[Request]:
        """Every request of the run with its due time (seconds from the start), evenly spaced per kind."""
        plan = self.plan
        requests: list[Request] = []

        def every(rate: float, make: Callable[[float], Request]) -> None:
            if rate <= 0:
                return
            count = int(rate * plan.seconds)
            offset = random.random() / rate
            requests.extend(make(offset + index / rate) for index in range(count))

        every(plan.intake_per_second, lambda due: intake_request(due, random.random()))
        every(plan.intake_per_second * STATUS_READS_PER_ORDER, lambda due: Request("status", due, "GET", ""))
        every(
            plan.intake_per_second * SHIPMENT_READS_PER_ORDER, lambda due: Request("shipment", due, "GET", "")
        )
        every(FEED_POLLS_PER_SECOND, lambda due: Request("feed", due, "GET", ""))
        requests.sort(key=lambda request: request.due)
        return requests

    def _path_of(self, request: Request) -> str | None:
        """Reads are given their order when they are sent: one placed recently (None before any is)."""
        if request.kind == "feed":
            return f"{API}/future/shipment/feed?seq={self.feed_cursor}&orderBy=asc&pageSize=50"
        if not self.recent_orders:
            return None
        order_id = random.choice(self.recent_orders)
        if request.kind == "status":
            return f"{API}/orders/{order_id}/status"
        return f"{API}/future/shipment/{order_id}"

    def _head(self, request: Request, path: str) -> bytes:
        lines = [
            f"{request.method} {path} HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            f"Authorization: Bearer {self.plan.token}",
        ]
        if request.body:
            lines += ["Content-Type: application/json", f"Content-Length: {len(request.body)}"]
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    async def connection(self, started: float) -> None:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        try:
            while (request := await self.queue.get()) is not None:
                path = self._path_of(request) if request.method == "GET" else request.path
                if path is None:
                    continue
                writer.write(self._head(request, path) + request.body)
                status, body = await _answer(reader)
                latency = (time.perf_counter() - started - request.due) * 1000
                self.results.latencies_ms[request.kind].append(latency)
                if status >= 300:
                    self.results.errors[f"{request.kind} {status}"] += 1
                else:
                    self._learn(request, body)
        finally:
            writer.close()

    def _learn(self, request: Request, body: bytes) -> None:
        if request.kind.startswith("intake_"):
            answer = json.loads(body)
            order_id = answer.get("orderId") or (answer.get("notification") or {}).get("shipmentId")
            if order_id:
                self.recent_orders.append(order_id)
        elif request.kind == "feed":
            entries = json.loads(body)
            if entries:
                self.feed_cursor = max(entry["sequenceNumber"] for entry in entries)

    async def run(self) -> dict[str, Any]:
        requests = self.schedule()
        cpu_before = time.process_time()
        started = time.perf_counter()
        connections = [asyncio.create_task(self.connection(started)) for _ in range(CONNECTIONS)]
        for request in requests:
            delay = request.due - (time.perf_counter() - started)
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                self.results.latest_start_ms = max(self.results.latest_start_ms, -delay * 1000)
            self.queue.put_nowait(request)
        for _ in connections:
            self.queue.put_nowait(None)
        await asyncio.gather(*connections)
        elapsed = time.perf_counter() - started
        return {
            "seconds": elapsed,
            "client_cpu_seconds": time.process_time() - cpu_before,
            "latencies_ms": dict(self.results.latencies_ms),
            "errors": dict(self.results.errors),
            "scheduler_late_ms_max": self.results.latest_start_ms,
        }


async def _answer(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = content_length(head)
    body = await reader.readexactly(length) if length else b""
    return status, body


def main(path: str) -> None:
    results = asyncio.run(Generator(Plan.read(path)).run())
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
