"""Run the benchmarks and write BENCHMARKS.md: `python -m bench [name ...]` (`make bench`).

Each benchmark measures orderdesk and its baseline in the same run (medians of several rounds on a
shared, noisy machine). Needs PostgreSQL (ORDERDESK_BENCH_POSTGRES_URL, default the local server;
each benchmark makes a database of its own) and wrk (installed with apt-get when missing and root).
A run of every benchmark rewrites BENCHMARKS.md, keeping the notes below NOTES_MARKER; a run of
some prints their results only.
"""

from __future__ import annotations

import asyncio
import os
import platform
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from bench import (
    big_reads,
    chains,
    console,
    dataorders,
    expansion,
    feed,
    growth,
    http,
    instant,
    mixed_load,
    smtp,
    webhook_e2e,
    webhooks,
)


class Result(Protocol):
    def markdown(self) -> str: ...

    def summary_row(self) -> str: ...


BENCHMARKS: dict[str, Callable[[], Awaitable[Result | Sequence[Result]]]] = {
    "status_read": http.status_read,
    "status_read_large": http.status_read_large,
    "big_reads": big_reads.run,
    "intake": http.intake,
    "chain_intake": chains.chain_intake,
    "feed_page": feed.feed_page,
    "console_pages": console.console_pages,
    "instant": instant.run,
    "expansion": expansion.run,
    "smtp": smtp.dispatch,
    "end_to_end": smtp.end_to_end,
    "end_to_end_webhooks": webhook_e2e.end_to_end_with_subscription,
    "webhooks": webhooks.run,
    "sustained_load": mixed_load.sustained_load,
    "growth": growth.run,
    "sqlite_mode": http.sqlite_mode,
    "dataorder_staging": dataorders.staging,
    "dataorder_download": dataorders.download,
}
"""In the order of the table; a benchmark gives one result, or several when one setup serves them all."""
OUTPUT = Path(__file__).resolve().parent.parent / "BENCHMARKS.md"
COMMAND = "make bench"
NOTES_MARKER = "<!-- Notes below this line are kept by `make bench`. -->"


def _machine() -> str:
    python = platform.python_version()
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, Python {python}"


async def main(names: Sequence[str]) -> list[Result]:
    results: list[Result] = []
    for name in names:
        started = time.perf_counter()
        print(f"bench: {name} …", flush=True)
        outcome = await BENCHMARKS[name]()
        for result in outcome if isinstance(outcome, Sequence) else [outcome]:
            print(result.markdown(), flush=True)
            results.append(result)
        print(f"bench: {name} took {time.perf_counter() - started:.0f} s", flush=True)
    return results


def _kept_notes() -> list[str]:
    if not OUTPUT.exists():
        return [NOTES_MARKER]
    text = OUTPUT.read_text()
    return (
        [NOTES_MARKER, *text.split(NOTES_MARKER, 1)[1].splitlines()]
        if NOTES_MARKER in text
        else [NOTES_MARKER]
    )


def write(results: Sequence[Result], seconds: float) -> None:
    lines = [
        "# Benchmarks",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {_machine()}, PostgreSQL on localhost,",
        f"with `{COMMAND}` (`python3 dev.py bench`, i.e. `.venv/bin/python -m bench`), which took "
        f"{seconds / 60:.1f} minutes.",
        "Every figure is compared with a baseline measured in the same run, as the median of its rounds;",
        "the machine is shared and noisy, so read the ratios rather than the absolute figures. Tests never",
        "assert timings.",
        "",
        "| scenario | orderdesk | baseline | ratio | target | |",
        "|---|---|---|---|---|---|",
        *(result.summary_row() for result in results),
        "",
    ]
    for result in results:
        lines += [result.markdown(), ""]
    lines += _kept_notes()
    OUTPUT.write_text("\n".join(lines).rstrip() + "\n")


def cli() -> None:
    chosen = sys.argv[1:] or list(BENCHMARKS)
    unknown = [name for name in chosen if name not in BENCHMARKS]
    if unknown:
        sys.exit(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    started = time.perf_counter()
    results = asyncio.run(main(chosen))
    seconds = time.perf_counter() - started
    print(f"bench: all done in {seconds / 60:.1f} minutes", flush=True)
    if set(chosen) == set(BENCHMARKS):
        write(results, seconds)
        print(f"bench: wrote {OUTPUT}", flush=True)


if __name__ == "__main__":
    cli()
