"""What the benchmarks share: a fresh PostgreSQL database, timing, and the result format."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from orderdesk.core.db import Database
from orderdesk.core.outbound import AddressPolicy, OutboundClient
from orderdesk.migrations import runner
from orderdesk.notifications.models import (
    Creator,
    EmailTemplate,
    NotificationChannel,
    OrderId,
    OrderRequest,
    Recipient,
)
from orderdesk.notifications.providers.conditions import SendConditionChecker
from orderdesk.notifications.repository import queue
from orderdesk.notifications.rules.expansion import ExpansionRules
from orderdesk.notifications.service import orders as service
from orderdesk.notifications.tasks.processing import process_order
from tests.support.processes import fresh_postgres_database

DEFAULT_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/orderdesk_bench"


def postgres_url() -> str:
    return os.environ.get("ORDERDESK_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)


async def fresh_database(suffix: str) -> tuple[str, Database]:
    """A migrated, empty PostgreSQL database of the benchmark's own."""
    url = await fresh_postgres_database(postgres_url(), suffix)
    database = Database.from_url(url, pool_size=10)
    await runner.upgrade(database)
    return url, database


async def expanded_email_order(database: Database, recipients: int, org: str = "bench") -> OrderId:
    """An e-mail order of `org`, registered and expanded into `recipients` notifications by the code
    a worker runs (so that a benchmark starts from notifications waiting to be sent)."""
    request = OrderRequest(
        notification_channel=NotificationChannel.EMAIL,
        recipients=[Recipient(email_address=f"r{index}@example.com") for index in range(recipients)],
        email_template=EmailTemplate("bench@example.com", "Benchmark", "A message from the benchmark."),
    )
    now = datetime.now(UTC)
    async with database.transaction() as connection:
        registration = await service.register_order(
            connection,
            Creator(org),
            request,
            now=now,
            defaults=service.OrderDefaults("bench@example.com", "bench"),
            outbound=AddressPolicy(),
        )
        [claim] = await queue.claim_due_orders(connection, now=now, limit=1, lease=timedelta(minutes=10))
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
    return registration.order_id


async def timed(action: Callable[[], Awaitable[object]]) -> float:
    started = time.perf_counter()
    await action()
    return time.perf_counter() - started


def _percent(fraction: float) -> str:
    """Whole per cent, with a decimal below 1% so that a narrow miss does not read as 0%."""
    if fraction < 0.001:
        return "under 0.1%"
    return f"{fraction * 100:.1f}%" if fraction < 0.01 else f"{fraction * 100:.0f}%"


@dataclass(frozen=True, slots=True)
class Baseline:
    """A further baseline of a comparison, measured in the same run and shown with its own ratio."""

    name: str
    values: list[float]


@dataclass(frozen=True, slots=True)
class Comparison:
    """One benchmark: orderdesk's rate against the baseline's, median of the rounds."""

    title: str
    unit: str
    ours: list[float]
    baseline: list[float]
    baseline_name: str
    target: float | None
    """The least ratio asked for; None when the figure is recorded, not held to a ratio."""
    notes: str = ""
    others: tuple[Baseline, ...] = ()
    """Baselines beyond the first; the target, if any, is held against the first alone."""
    at_most: float | None = None
    """For figures where lower is better (latency): the largest ratio allowed; `target` is then None."""
    shortfall: str = ""
    """Why orderdesk stays below the target, as its profiles showed: said in the row if it misses."""

    @property
    def ratio(self) -> float:
        return statistics.median(self.ours) / statistics.median(self.baseline)

    def ratio_to(self, other: Baseline) -> float:
        return statistics.median(self.ours) / statistics.median(other.values)

    @property
    def wanted(self) -> str:
        if self.target is not None:
            return f"≥ {self.target}x"
        if self.at_most is not None:
            return f"≤ {self.at_most}x"
        return "—"

    @property
    def verdict(self) -> str:
        if self.target is not None:
            return "meets" if self.ratio >= self.target else "MISSES"
        if self.at_most is not None:
            return "meets" if self.ratio <= self.at_most else "MISSES"
        return "recorded"

    @property
    def missed_by(self) -> str:
        """How far the ratio is from its target, when it misses: empty otherwise."""
        if self.verdict != "MISSES":
            return ""
        if self.target is not None:
            return f"{_percent(1 - self.ratio / self.target)} short of {self.target}x"
        assert self.at_most is not None
        return f"{_percent(self.ratio / self.at_most - 1)} over {self.at_most}x"

    @property
    def verdict_text(self) -> str:
        """The verdict, and for a miss by how much and why."""
        if not self.missed_by:
            return self.verdict
        why = f": {self.shortfall}" if self.shortfall else ""
        return f"MISSES, {self.missed_by}{why}"

    def summary_row(self) -> str:
        """A line of the table at the top of BENCHMARKS.md."""
        ours = f"{statistics.median(self.ours):,.0f} {self.unit}"
        baseline = f"{statistics.median(self.baseline):,.0f} {self.unit}"
        return (
            f"| {self.title} | {ours} | {baseline} ({self.baseline_name}) | {self.ratio:.2f}x "
            f"| {self.wanted} | {self.verdict_text} |"
        )

    def markdown(self) -> str:
        if self.target is None and self.at_most is None:
            verdict_line = f"Ratio {self.ratio:.2f}x (recorded; no target ratio)."
        elif self.target is not None:
            verdict_line = (
                f"Ratio **{self.ratio:.2f}x** (target at least {self.target}x: {self.verdict_text})."
            )
        else:
            verdict_line = (
                f"Ratio **{self.ratio:.2f}x**, lower is better "
                f"(target at most {self.at_most}x: {self.verdict_text})."
            )
        rows = [
            f"### {self.title}",
            "",
            "| | median | rounds |",
            "|---|---|---|",
            f"| orderdesk | {statistics.median(self.ours):,.0f} {self.unit} | "
            + ", ".join(f"{value:,.0f}" for value in self.ours)
            + " |",
            f"| {self.baseline_name} | {statistics.median(self.baseline):,.0f} {self.unit} | "
            + ", ".join(f"{value:,.0f}" for value in self.baseline)
            + " |",
        ]
        rows += [
            f"| {other.name} | {statistics.median(other.values):,.0f} {self.unit} | "
            + ", ".join(f"{value:,.0f}" for value in other.values)
            + " |"
            for other in self.others
        ]
        if self.others:
            verdict_line += " Against " + "; against ".join(
                f"{other.name}: {self.ratio_to(other):.2f}x" for other in self.others
            )
            verdict_line += "."
        rows += ["", verdict_line]
        if self.notes:
            rows += ["", self.notes]
        return "\n".join(rows)


def pyplot() -> Any:
    """matplotlib's pyplot, drawing to files only; a message naming the extra when it is missing."""
    try:
        import matplotlib
    except ImportError as missing:  # an extra: only the plots need it
        raise SystemExit(
            "the benchmarks draw their plots with matplotlib, which the extra `bench` installs: "
            "pip install -e '.[bench]' (python3 dev.py installs it with the `dev` extra)"
        ) from missing

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def percentile(values: Sequence[float], fraction: float) -> float:
    """The value `fraction` of the way up the sorted values (0.99: the p99), one of the values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (fields 14 and 15 of /proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
