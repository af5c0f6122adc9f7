"""Everyone's `/health` while big orders are read: the answer of a 100 000-recipient order is built
without holding the event loop, so other requests wait on no one.

`/health` p50 on `orderdesk serve --no-worker` (PostgreSQL) while four clients read the whole order
(`GET …/orders/{id}`) over and over, against the same `/health` with nothing else going on.
`python -m bench.big_reads [--rounds R]` runs it without writing BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from tempfile import TemporaryDirectory
from uuid import UUID

import httpx

from bench.common import Comparison, fresh_database
from bench.http import LARGE_ORDER, _expect_generated, _order, _orderdesk, _token

ROUNDS = 3
HEALTH_CHECKS = 40
"""Sequential /health requests per phase, one after the other: their median is the figure."""
READERS = 4
_API = "/notifications/api/v1/orders"


async def _health_p50_us(http: httpx.AsyncClient, until: Callable[[], bool] = lambda: True) -> float:
    """Median latency of sequential `/health` requests, in microseconds: HEALTH_CHECKS of them, and
    more until `until()` holds."""
    latencies: list[float] = []
    while len(latencies) < HEALTH_CHECKS or not until():
        started = time.perf_counter()
        response = await http.get("/health")
        latencies.append((time.perf_counter() - started) * 1e6)
        response.raise_for_status()
    return statistics.median(latencies)


async def _read_forever(base_url: str, token: str, order_id: UUID, reads: list[float]) -> None:
    """Read the whole order again and again; the seconds of each read are appended to `reads`."""
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=300) as http:
        while True:
            started = time.perf_counter()
            response = await http.get(f"{_API}/{order_id}")
            response.raise_for_status()
            reads.append(time.perf_counter() - started)


async def _loaded_p50_us(base_url: str, token: str, order_id: UUID) -> tuple[float, list[float]]:
    reads: list[float] = []
    readers = [asyncio.create_task(_read_forever(base_url, token, order_id, reads)) for _ in range(READERS)]
    try:
        await asyncio.sleep(1.0)  # every reader has its request in flight
        async with httpx.AsyncClient(base_url=base_url, timeout=300) as http:
            # also until each reader finished a read: the figure then spans whole reads
            p50 = await _health_p50_us(http, until=lambda: len(reads) >= READERS)
    finally:
        for reader in readers:
            reader.cancel()
        for reader in readers:
            with suppress(asyncio.CancelledError):
                await reader
    return p50, reads


async def run(rounds: int = ROUNDS) -> Comparison:
    url, database = await fresh_database("big_reads")
    try:
        started = time.perf_counter()
        order_id = await _order(database, LARGE_ORDER)
        setup = time.perf_counter() - started
    finally:
        await database.dispose()
    idle: list[float] = []
    loaded: list[float] = []
    reads: list[float] = []
    with TemporaryDirectory() as folder:
        home = Path(folder).resolve()
        token = _token(home)
        async with _orderdesk(home, url) as base_url:
            await _expect_generated(base_url, token, order_id, LARGE_ORDER)
            async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
                await _health_p50_us(http)  # warm-up
            for _ in range(rounds):
                async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
                    idle.append(await _health_p50_us(http))
                p50, round_reads = await _loaded_p50_us(base_url, token, order_id)
                loaded.append(p50)
                reads += round_reads
    return Comparison(
        title=f"/health p50 during {READERS} concurrent reads of a {LARGE_ORDER:,}-recipient order",
        unit="µs",
        ours=loaded,
        baseline=idle,
        baseline_name="/health p50 with no other request",
        target=None,
        notes=(
            f"{HEALTH_CHECKS} sequential `/health` per phase (more until each reader finished a read)"
            f" while {READERS} clients read"
            f" `GET …/orders/{{id}}` (the whole order, {LARGE_ORDER:,} recipients; set up in"
            f" {setup:.0f} s) in a loop, against {HEALTH_CHECKS} with nothing else; {rounds} rounds."
            f" A whole-order read took {statistics.median(reads) if reads else 0:.2f} s (median of"
            f" {len(reads)} finished during the rounds). `orderdesk serve --no-worker` on PostgreSQL."
        ),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="The big-read scenario alone; prints, writes nothing.")
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    options = parser.parse_args()
    print(asyncio.run(run(options.rounds)).markdown(), flush=True)


if __name__ == "__main__":
    main()
