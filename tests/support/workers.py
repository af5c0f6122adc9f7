"""What keeps parallel test workers (pytest-xdist) apart: each worker gets its own PostgreSQL
database name and its own range of TCP ports; temporary folders (homes, SQLite files) are already
per worker through pytest's `tmp_path_factory`."""

from __future__ import annotations

import itertools
import os
import socket

from sqlalchemy.engine import make_url

WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
"""The xdist worker id (`gw0`, `gw1`, …), empty without xdist (and in the xdist controller)."""

_PORTS_PER_WORKER = 1000
_FIRST_WORKER_PORT = 20_000  # below Linux's ephemeral range (32768-60999), which the kernel hands out


def is_xdist_controller() -> bool:
    """True in a run's single process or in the xdist controller; false in an xdist worker."""
    return not WORKER


def worker_postgres_url(url: str) -> str:
    """`url` with the worker id appended to its database name, so workers never share a database."""
    if not url or not WORKER:
        return url
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{WORKER}").render_as_string(hide_password=False)


def _worker_index() -> int | None:
    digits = WORKER.removeprefix("gw")
    return int(digits) if digits.isdigit() else None


_next_port = itertools.count()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on now. Without xdist the kernel picks one; under
    xdist each worker takes ports from a range of its own, so two workers never pick the same one
    between probing it and listening on it."""
    index = _worker_index()
    if index is None:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind(("127.0.0.1", 0))
            port: int = probe.getsockname()[1]
        return port
    first = _FIRST_WORKER_PORT + index * _PORTS_PER_WORKER
    for _ in range(_PORTS_PER_WORKER):
        candidate = first + next(_next_port) % _PORTS_PER_WORKER
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", candidate))
            except OSError:
                continue
        return candidate
    raise RuntimeError(f"no free port in worker {WORKER}'s range from {first}")
