"""Adding up the metrics of every process on one home: prometheus-client's multiprocess mode.

Each `orderdesk serve` and `orderdesk worker` process writes its values into memory-mapped files of
its own in one directory (`HOME/metrics`, or `PROMETHEUS_MULTIPROC_DIR` when set); `GET /metrics`
of any API process reads them all and answers the sum. The directory must be chosen before
prometheus_client is first imported (it picks its value storage then), so the entry points call
`use_directory` first thing. Counters of processes that ended are kept (a total never goes back);
`mark_process_dead` removes what only a live process may report (live gauges), on start (a process
that had our pid before) and at exit.
"""

from __future__ import annotations

import atexit
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ENVIRONMENT_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


def use_directory(home: Path) -> Path:
    """Make this process write its metrics into the home's shared directory; the directory.

    Raises RuntimeError when prometheus_client was imported before: its values would then stay in
    this process only, and `/metrics` would silently miss them."""
    configured = os.environ.get(ENVIRONMENT_VARIABLE)
    directory = Path(configured) if configured else home / "metrics"
    if not configured and "prometheus_client" in sys.modules:
        raise RuntimeError("prometheus_client was imported before the metrics directory was chosen")
    directory.mkdir(parents=True, exist_ok=True)
    os.environ[ENVIRONMENT_VARIABLE] = str(directory)
    from prometheus_client import multiprocess

    pid = os.getpid()
    multiprocess.mark_process_dead(pid, str(directory))  # type: ignore[no-untyped-call]
    atexit.register(multiprocess.mark_process_dead, pid, str(directory))
    return directory


def in_use() -> bool:
    return bool(os.environ.get(ENVIRONMENT_VARIABLE))


class _Snapshot:
    """A collector answering metric families computed before the scrape (the queue's state)."""

    def __init__(self, families: Iterable[Any]) -> None:
        self._families = list(families)

    def collect(self) -> Iterable[Any]:
        return self._families


class _Forward:
    """The process's own registry, read through a registry made for one scrape."""

    def __init__(self, source: Any) -> None:
        self._source = source

    def collect(self) -> Iterable[Any]:
        collected: Iterable[Any] = self._source.collect()
        return collected


def exposition(extra: Iterable[Any] = ()) -> tuple[bytes, str]:
    """The text exposition of every process's metrics (or this process's alone, when no directory is
    in use: tests, an app built in code), with `extra` metric families; the body and content type.

    Reads files (multiprocess): call it off the event loop."""
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
    from prometheus_client.multiprocess import MultiProcessCollector

    registry = CollectorRegistry(auto_describe=False)
    if in_use():
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry.register(_Forward(REGISTRY))
    registry.register(_Snapshot(extra))
    return generate_latest(registry), CONTENT_TYPE_LATEST
