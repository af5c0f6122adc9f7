"""Run the benchmarks and write BENCHMARKS.md: `python -m bench.run [name ...]`.

Needs PostgreSQL (ORDERDESK_BENCH_POSTGRES_URL, default the local server); each benchmark makes a
database of its own.
"""

from __future__ import annotations

import asyncio
import os
import platform
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from bench import dataorders, expansion, smtp
from bench.common import Comparison

BENCHMARKS: dict[str, Callable[[], Awaitable[Comparison | list[Comparison]]]] = {
    "expansion": expansion.run,
    "smtp": smtp.dispatch,
    "end_to_end": smtp.end_to_end,
    "dataorder_staging": dataorders.staging,
    "dataorder_download": dataorders.download,
}
"""A benchmark gives one comparison, or several when one setup serves them all."""
OUTPUT = Path(__file__).resolve().parent.parent / "BENCHMARKS.md"


def _machine() -> str:
    python = platform.python_version()
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, Python {python}"


async def main(names: list[str]) -> list[Comparison]:
    results = []
    for name in names:
        print(f"bench: {name} …", flush=True)
        result = await BENCHMARKS[name]()
        for comparison in result if isinstance(result, list) else [result]:
            print(comparison.markdown(), flush=True)
            results.append(comparison)
    return results


def write(results: list[Comparison]) -> None:
    lines = [
        "# Benchmarks",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {_machine()}, PostgreSQL on localhost,",
        "with `python -m bench.run` (from the virtual environment `python3 dev.py` makes:",
        "`.venv/bin/python -m bench.run`). Every figure is compared with a baseline measured in the",
        "same run; tests never assert timings.",
        "",
    ]
    for result in results:
        lines += [result.markdown(), ""]
    OUTPUT.write_text("\n".join(lines))


if __name__ == "__main__":
    chosen = sys.argv[1:] or list(BENCHMARKS)
    write(asyncio.run(main(chosen)))
