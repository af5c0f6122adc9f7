"""Sustained mixed load (issue 19): orders arriving, their notifications sent, and clients polling,
all at once on this machine, at rising intake rates until one breaks a limit.

At each rate, for `seconds`: order intake (v1 e-mail and SMS orders of one to ten recipients, and
order chains), five status reads per order, shipment reads and status-feed polls, from the open-loop
generator in bench/load_client.py (its own process); meanwhile `orderdesk serve --no-worker` answers
and `orderdesk worker` sends every e-mail to a local SMTP sink and every SMS to the outbox (the
production layout, so that the API's and the workers' CPU time are read apart, from /proc). On SQLite
one `orderdesk serve` does both, as SQLite's layout is. A rate
holds when every kind's p99 stays under 100 ms, nothing errs, and the sending keeps up: the oldest due
notification or order never waits 5 s. The highest rate that holds is the figure.

`python -m bench.mixed_load [--seconds S] [RATE ...]` runs it on PostgreSQL and prints the steps.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from tempfile import TemporaryDirectory

from sqlalchemy import func, select

from bench.common import cpu_seconds, percentile, postgres_url, pyplot
from bench.load_client import FEED_POLLS_PER_SECOND as FEED_POLLS
from bench.smtp import CONNECTIONS, smtp_sink, wait_for_port
from orderdesk.core.db import Database
from orderdesk.notifications.tables import notification_email, notification_order, notification_sms
from tests.support.processes import (
    fresh_postgres_database,
    orderdesk_env,
    orderdesk_executable,
    run_orderdesk,
)
from tests.support.workers import free_port

P99_LIMIT_MS = 100.0
OLDEST_DUE_LIMIT_SECONDS = 5.0
RATES = (25, 50, 75, 100, 150, 200, 300, 400, 500)
SQLITE_RATES = (10, 25, 50, 75, 100)
TARGET_RATE = 500.0
PLOT = Path(__file__).resolve().parent.parent / "BENCHMARKS-sustained.png"
SECONDS = 60
REFINE = 2
WARM_UP_SECONDS = 10
DRAIN_SECONDS = 60
"""Between steps, the sending may catch up this long, so that a step starts with an empty queue."""


@dataclass(frozen=True, slots=True)
class Step:
    rate: float
    seconds: float
    p99_ms: dict[str, float]
    counts: dict[str, int]
    errors: dict[str, int]
    oldest_due_seconds: float
    api_cpu_seconds: float
    worker_cpu_seconds: float
    database_cpu_seconds: float
    """PostgreSQL's server processes (0 on SQLite, which runs inside orderdesk's)."""
    one_process: bool
    """API and workers in one `orderdesk serve` (SQLite's layout): `api_cpu_seconds` is both."""
    client_cpu_seconds: float

    @property
    def holds(self) -> bool:
        return (
            not self.errors
            and all(p99 < P99_LIMIT_MS for p99 in self.p99_ms.values())
            and self.oldest_due_seconds < OLDEST_DUE_LIMIT_SECONDS
        )

    def line(self) -> str:
        kinds = ", ".join(
            f"{kind} {self.p99_ms[kind]:.0f} ms ({self.counts[kind]})" for kind in sorted(self.p99_ms)
        )
        api, workers, client = (
            seconds / self.seconds
            for seconds in (self.api_cpu_seconds, self.worker_cpu_seconds, self.client_cpu_seconds)
        )
        database = self.database_cpu_seconds / self.seconds
        server = (
            f"API and workers in one process {api:.2f}"
            if self.one_process
            else f"API {api:.2f}, workers {workers:.2f}, PostgreSQL {database:.2f}"
        )
        return (
            f"{self.rate:g} orders/s: {'holds' if self.holds else 'breaks'}; p99 {kinds}; "
            f"errors {self.errors or 'none'}; oldest due {self.oldest_due_seconds:.1f} s; CPU in cores: "
            f"{server}, load client {client:.2f}"
        )


def _postgres_cpu() -> dict[int, float]:
    """CPU seconds of every PostgreSQL server process now running, by pid."""
    found: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    found[int(entry.name)] = cpu_seconds(int(entry.name))
            except OSError:  # ended meanwhile
                continue
    return found


@contextmanager
def _process(command: list[str], env: dict[str, str], home: Path) -> Iterator[subprocess.Popen[bytes]]:
    log = (home / f"{command[1]}.log").open("ab")
    process = subprocess.Popen(command, env=env, cwd=home, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=60)
        log.close()


async def _oldest_due(database: Database) -> float:
    """Seconds the longest-waiting due work has waited: an order not yet expanded, or an e-mail or
    SMS not yet claimed (0 when nothing due waits)."""
    now = datetime.now(UTC)
    waiting = [
        select(func.min(notification_order.c.due_at)).where(
            notification_order.c.processing_status == "Registered", notification_order.c.due_at <= now
        ),
        *(
            select(func.min(table.c.due_at)).where(table.c.status == "New", table.c.due_at <= now)
            for table in (notification_email, notification_sms)
        ),
    ]
    oldest = 0.0
    async with database.read() as connection:
        for query in waiting:
            due = await connection.scalar(query)
            if due is not None:
                due = due if due.tzinfo else due.replace(tzinfo=UTC)  # SQLite keeps no zone
                oldest = max(oldest, (now - due).total_seconds())
    return oldest


async def _step(
    base_url: str,
    token: str,
    rate: float,
    seconds: float,
    database: Database,
    api: int,
    worker: int | None,
    home: Path,
) -> Step:
    plan = home / f"plan-{rate:g}.json"
    plan.write_text(
        json.dumps({"base_url": base_url, "token": token, "intake_per_second": rate, "seconds": seconds})
    )
    before = cpu_seconds(api), cpu_seconds(worker) if worker else 0.0
    postgres_before = _postgres_cpu()
    client = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.load_client", str(plan), stdout=subprocess.PIPE
    )
    oldest = 0.0
    waiting = asyncio.ensure_future(client.communicate())
    while not waiting.done():
        oldest = max(oldest, await _oldest_due(database))
        await asyncio.wait([waiting], timeout=1.0)
    output, _ = waiting.result()
    after = cpu_seconds(api), cpu_seconds(worker) if worker else 0.0
    postgres = sum(seconds - postgres_before.get(pid, 0.0) for pid, seconds in _postgres_cpu().items())
    results = json.loads(output)
    latencies: dict[str, list[float]] = results["latencies_ms"]
    return Step(
        rate=rate,
        seconds=results["seconds"],
        p99_ms={kind: percentile(values, 0.99) for kind, values in latencies.items()},
        counts={kind: len(values) for kind, values in latencies.items()},
        errors=results["errors"],
        oldest_due_seconds=oldest,
        api_cpu_seconds=after[0] - before[0],
        worker_cpu_seconds=after[1] - before[1],
        database_cpu_seconds=postgres,
        one_process=worker is None,
        client_cpu_seconds=results["client_cpu_seconds"],
    )


async def _drained(database: Database) -> None:
    deadline = time.monotonic() + DRAIN_SECONDS
    while time.monotonic() < deadline and await _oldest_due(database) > 0:
        await asyncio.sleep(1)


def _rates_to_try(rates: Sequence[float], steps: list[Step]) -> Iterator[float]:
    """`rates` in rising order until one breaks a limit, then REFINE rates halfway between the highest
    that held (or none) and the lowest that broke (`steps` is read as it fills)."""
    for rate in sorted(rates):
        yield rate
        if not steps[-1].holds:
            break
    for _ in range(REFINE):
        highest_held = max((step.rate for step in steps if step.holds), default=0.0)
        broke = [step.rate for step in steps if not step.holds]
        halfway = round((highest_held + min(broke, default=highest_held)) / 2)
        if not broke or halfway in (highest_held, min(broke)):
            return
        yield halfway


async def run(
    rates: Sequence[float] = RATES, seconds: float = SECONDS, *, sqlite: bool = False
) -> list[Step]:
    """The steps tried (see _rates_to_try), in the order run; a warm-up at the lowest rate first, not
    counted."""
    steps: list[Step] = []
    with smtp_sink() as smtp_port, TemporaryDirectory() as folder:
        home = Path(folder)
        database_url = (
            f"sqlite+aiosqlite:///{home / 'orderdesk.db'}"
            if sqlite
            else await fresh_postgres_database(postgres_url(), "mixed")
        )
        extra = {
            "ORDERDESK_DATABASE_URL": database_url,
            "ORDERDESK_EMAIL_PROVIDER": "smtp",
            "ORDERDESK_SMTP_HOST": "127.0.0.1",
            "ORDERDESK_SMTP_PORT": str(smtp_port),
            "ORDERDESK_SMTP_CONNECTIONS": str(CONNECTIONS),
            "ORDERDESK_LOG_LEVEL": "WARNING",
            # The SMS orders keep the daytime policy: a window open all day, so that a run's figure
            # does not depend on the hour it ran at (after 17:00 in Oslo their SMS would wait).
            "ORDERDESK_SMS_WINDOW_START_HOUR": "0",
            "ORDERDESK_SMS_WINDOW_END_HOUR": "24",
        }
        env = orderdesk_env(home, extra)
        run_orderdesk(home, "migrate", env=extra)
        token = run_orderdesk(home, "token", "--org", "bench", env=extra).stdout.strip()
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        # PostgreSQL: the production layout, API and workers apart. SQLite: its own, one process,
        # whose writers take turns in-process; across processes they wait on the file's lock.
        serve = [orderdesk_executable(), "serve", "--port", str(port)]
        if not sqlite:
            serve.insert(2, "--no-worker")
        database = Database.from_url(database_url, pool_size=2)
        try:
            with ExitStack() as processes_running:
                api = processes_running.enter_context(_process(serve, env, home))
                worker = (
                    None
                    if sqlite
                    else processes_running.enter_context(
                        _process([orderdesk_executable(), "worker"], env, home)
                    )
                )
                wait_for_port(port)
                processes = api.pid, None if worker is None else worker.pid
                await _step(base_url, token, min(rates), WARM_UP_SECONDS, database, *processes, home)
                await _drained(database)
                for rate in _rates_to_try(rates, steps):
                    step = await _step(base_url, token, rate, seconds, database, *processes, home)
                    print(step.line(), flush=True)
                    steps.append(step)
                    await _drained(database)
        finally:
            await database.dispose()
    return steps


@dataclass(frozen=True, slots=True)
class Sustained:
    """The steps on PostgreSQL and on SQLite, for BENCHMARKS.md and its plot."""

    postgres: list[Step]
    sqlite: list[Step]
    plot: Path

    @staticmethod
    def _highest(steps: list[Step]) -> float:
        return max((step.rate for step in steps if step.holds), default=0.0)

    def summary_row(self) -> str:
        reached = self._highest(self.postgres)
        verdict = "meets" if reached >= TARGET_RATE else f"MISSES, {reached:g} of {TARGET_RATE:g} orders/s"
        return (
            f"| Sustained mixed load: intake, five status reads per order, shipment reads and feed polls for "
            f"{SECONDS} s each step while a worker sends every notification, highest intake rate at p99 "
            f"< {P99_LIMIT_MS:g} ms, no errors, oldest due < {OLDEST_DUE_LIMIT_SECONDS:g} s | "
            f"{reached:g} orders/s (PostgreSQL) | {self._highest(self.sqlite):g} orders/s "
            f"(the same on SQLite) | — | ≥ {TARGET_RATE:g} orders/s "
            f"| {verdict} (plotted: `{self.plot.name}`) |"
        )

    def markdown(self) -> str:
        rows = ["### Sustained mixed load", ""]
        for name, steps in (("PostgreSQL", self.postgres), ("SQLite", self.sqlite)):
            rows += [f"{name}: highest intake rate that holds **{self._highest(steps):g} orders/s**.", ""]
            rows += [f"- {step.line()}" for step in sorted(steps, key=lambda step: step.rate)]
            rows.append("")
        rows.append(
            f"Each step runs {SECONDS} s at a fixed arrival rate (bench/load_client.py: open loop, latency "
            "from each request's due time, so a server falling behind shows as latency rather than as a "
            "slower load). Intake is half v1 e-mail orders and a quarter v1 SMS orders of one to ten "
            "recipients, and a quarter order chains (an e-mail and an SMS reminder); status reads at five "
            f"per order, shipment reads at one per two orders, {FEED_POLLS} feed polls a second. Server on "
            "PostgreSQL: `orderdesk serve --no-worker` and `orderdesk worker` (SMTP to a local sink, SMS "
            "to the outbox), CPU read from /proc per process; on SQLite one `orderdesk serve` (API and "
            "workers, SQLite's layout). The load client's own CPU is reported beside. "
            f"Plot: `{self.plot.name}`."
        )
        return "\n".join(rows)


def _plot(sustained: Sustained) -> None:
    plt = pyplot()
    figure, axes = plt.subplots(figsize=(8, 4.5))
    every_kind = sorted({kind for step in sustained.postgres + sustained.sqlite for kind in step.p99_ms})
    colour = {kind: f"C{index}" for index, kind in enumerate(every_kind)}  # a kind's colour on both
    for name, steps, style in (("PostgreSQL", sustained.postgres, "-"), ("SQLite", sustained.sqlite, "--")):
        kinds = sorted({kind for step in steps for kind in step.p99_ms})
        for kind in kinds:
            points = sorted((step.rate, step.p99_ms[kind]) for step in steps if kind in step.p99_ms)
            axes.plot(
                *zip(*points, strict=True),
                linestyle=style,
                marker="o" if style == "-" else "s",
                color=colour[kind],
                label=f"{kind} ({name})",
            )
    axes.axhline(P99_LIMIT_MS, color="grey", linewidth=0.8)
    axes.set(xlabel="intake, orders/s", ylabel="p99, ms", yscale="log", title="Sustained mixed load")
    axes.legend(fontsize="x-small", ncol=2)
    figure.tight_layout()
    figure.savefig(sustained.plot, dpi=100)
    plt.close(figure)


async def sustained_load() -> Sustained:
    """Both databases, then the plot beside BENCHMARKS.md."""
    result = Sustained(await run(), await run(SQLITE_RATES, sqlite=True), PLOT)
    _plot(result)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=SECONDS)
    parser.add_argument("--sqlite", action="store_true", help="on the embedded SQLite default")
    parser.add_argument("rates", nargs="*", type=float, help="intake rates (default: per database)")
    arguments = parser.parse_args()
    rates = arguments.rates or (SQLITE_RATES if arguments.sqlite else RATES)
    steps = asyncio.run(run(rates, arguments.seconds, sqlite=arguments.sqlite))
    holding = [step.rate for step in steps if step.holds]
    print(f"highest rate that holds: {max(holding):g} orders/s" if holding else "no rate holds")


if __name__ == "__main__":
    main()
