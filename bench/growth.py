"""How orderdesk's costs grow with the size of an order: the status read should stay flat (it reads
the order's counters, one indexed row) and the fan-out should grow linearly (rows per second stay
the same). Orders of 10², 10³, 10⁴ and 10⁵ recipients are expanded, timed, and their status read
in-process (the app through httpx's ASGI transport: the server's own cost, no network). The figures
go into BENCHMARKS.md as a table and into `BENCHMARKS-growth.png` as a plot."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory

import httpx
from sqlalchemy import delete, select

from bench.common import fresh_database, pyplot, timed
from bench.expansion import expand_order, load_register, register_order
from orderdesk.app import create_app
from orderdesk.auth.keys import load_or_create_signing_key
from orderdesk.auth.tokens import mint_service_owner_token
from orderdesk.core.db import Database
from orderdesk.core.outbound import AddressPolicy, OutboundClient
from orderdesk.notifications.providers.conditions import SendConditionChecker
from orderdesk.notifications.tables import notification_email, notification_order
from orderdesk.settings import DatabaseSettings, Settings

SIZES = (100, 1_000, 10_000, 100_000)
READS = 300
PLOT = Path(__file__).resolve().parent.parent / "BENCHMARKS-growth.png"


@dataclass(frozen=True, slots=True)
class Point:
    notifications: int
    fan_out_seconds: float
    read_median_ms: float
    read_p99_ms: float

    @property
    def rows_per_second(self) -> float:
        return self.notifications / self.fan_out_seconds


@dataclass(frozen=True, slots=True)
class Growth:
    points: list[Point]
    plot: Path

    def summary_row(self) -> str:
        first, last = self.points[0], self.points[-1]
        flat = last.read_median_ms / first.read_median_ms
        linear = last.rows_per_second / first.rows_per_second
        return (
            f"| Growth {first.notifications:,} → {last.notifications:,} notifications "
            f"| status read {last.read_median_ms:.2f} ms, fan-out {last.rows_per_second:,.0f} rows/s "
            f"| at {first.notifications:,}: {first.read_median_ms:.2f} ms, "
            f"{first.rows_per_second:,.0f} rows/s "
            f"| read {flat:.2f}x, fan-out rate {linear:.2f}x | flat (1x), linear | plotted |"
        )

    def markdown(self) -> str:
        first, last = self.points[0], self.points[-1]
        rows = [
            "### Growth: status read and fan-out against the order's size",
            "",
            "| notifications | fan-out | fan-out rate | status read, median | status read, p99 |",
            "|---|---|---|---|---|",
            *(
                f"| {point.notifications:,} | {point.fan_out_seconds:.2f} s "
                f"| {point.rows_per_second:,.0f} rows/s "
                f"| {point.read_median_ms:.2f} ms | {point.read_p99_ms:.2f} ms |"
                for point in self.points
            ),
            "",
            f"From {first.notifications:,} to {last.notifications:,} notifications the status read's median "
            f"goes from {first.read_median_ms:.2f} to {last.read_median_ms:.2f} ms "
            f"({last.read_median_ms / first.read_median_ms:.2f}x; flat is 1x), and the fan-out rate from "
            f"{first.rows_per_second:,.0f} to {last.rows_per_second:,.0f} rows/s "
            f"(linear time keeps the rate). {READS} sequential reads per size, in-process. "
            f"Plot: `{self.plot.name}`.",
        ]
        return "\n".join(rows)


async def _latest_order(database: Database) -> str:
    async with database.transaction() as connection:
        query = select(notification_order.c.id).order_by(notification_order.c.created_at.desc()).limit(1)
        return str((await connection.execute(query)).scalar_one())


async def _read_latencies(http: httpx.AsyncClient, order_id: str, headers: dict[str, str]) -> list[float]:
    url = f"/notifications/api/v1/orders/{order_id}/status"
    for _ in range(20):  # warm the token cache and the connection pool
        await http.get(url, headers=headers)
    latencies = []
    for _ in range(READS):
        started = time.perf_counter()
        response = await http.get(url, headers=headers)
        latencies.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.text
    return latencies


def _plot(points: list[Point], path: Path) -> None:
    plt = pyplot()
    sizes = [point.notifications for point in points]
    figure, (reads, fan_out) = plt.subplots(1, 2, figsize=(10, 4))
    reads.plot(sizes, [point.read_median_ms for point in points], marker="o", label="median")
    reads.plot(sizes, [point.read_p99_ms for point in points], marker="o", label="p99")
    reads.set(xscale="log", xlabel="notifications in the order", ylabel="ms", title="Status read")
    reads.set_ylim(bottom=0)
    reads.legend()
    fan_out.plot(sizes, [point.fan_out_seconds for point in points], marker="o", label="orderdesk")
    linear = [points[-1].fan_out_seconds * size / sizes[-1] for size in sizes]
    fan_out.plot(sizes, linear, linestyle="--", label="linear")
    fan_out.set(xscale="log", yscale="log", xlabel="notifications", ylabel="s", title="Fan-out")
    fan_out.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


async def run(sizes: tuple[int, ...] = SIZES) -> Growth:
    url, database = await fresh_database("growth")
    checker = SendConditionChecker(OutboundClient(AddressPolicy()), 10)
    points: list[Point] = []
    try:
        await load_register(database, max(sizes) // 2)
        with TemporaryDirectory() as home:
            settings = Settings(home=Path(home), database=DatabaseSettings(url=url))
            app = create_app(settings, database=database)
            key = load_or_create_signing_key(settings.signing_key_path)
            headers = {
                "Authorization": f"Bearer {mint_service_owner_token(key, issuer='orderdesk', org='bench')}"
            }
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://bench"
            ) as http:
                for size in sizes:
                    await register_order(database, size // 2)
                    seconds = await timed(lambda: expand_order(database, checker))
                    latencies = await _read_latencies(http, await _latest_order(database), headers)
                    points.append(
                        Point(
                            size,
                            seconds,
                            statistics.median(latencies),
                            statistics.quantiles(latencies, n=100)[98],
                        )
                    )
                    async with database.transaction() as connection:
                        await connection.execute(delete(notification_email))
                        await connection.execute(delete(notification_order))
    finally:
        await checker.aclose()
        await database.dispose()
    _plot(points, PLOT)
    return Growth(points, PLOT)
