"""Running the real `orderdesk` console script in a subprocess, on a home of the test's own."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

_TIMEOUT_SECONDS = 120


def orderdesk_executable() -> str:
    """The console script installed beside the running interpreter, else the one on PATH."""
    beside = Path(sys.executable).parent / "orderdesk"
    if beside.exists():
        return str(beside)
    found = shutil.which("orderdesk")
    if found is None:
        raise RuntimeError("the orderdesk console script is not installed")
    return found


def orderdesk_env(home: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The current environment without any ORDERDESK_ setting, pointed at `home`."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("ORDERDESK_")}
    env["ORDERDESK_HOME"] = str(home)
    env.update(extra or {})
    return env


def run_orderdesk(
    home: Path, *args: str, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `orderdesk ARGS` in `home` (also the working directory, so no stray `.env` is read)."""
    home.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [orderdesk_executable(), *args],
        env=orderdesk_env(home, env),
        cwd=home,
        capture_output=True,
        text=True,
        timeout=_TIMEOUT_SECONDS,
        check=False,
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def fresh_postgres_database(base_url: str, suffix: str) -> str:
    """A PostgreSQL database beside the one in `base_url`, named with `suffix`, dropped and created
    anew; its URL."""
    import asyncpg
    from sqlalchemy.engine import make_url

    parsed = make_url(base_url)
    name = f"{parsed.database}_{suffix}"
    connection = await asyncpg.connect(
        host=parsed.host,
        port=parsed.port or 5432,
        user=parsed.username,
        password=parsed.password,
        database="postgres",
    )
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return parsed.set(database=name).render_as_string(hide_password=False)


async def own_migrated_database(backend: str, base_postgres_url: str, tmp_path: Path, suffix: str) -> str:
    """A fresh, migrated database for one test whose worker processes connect to it too: a new
    PostgreSQL database beside `base_postgres_url`, or a SQLite file in `tmp_path`. Its URL."""
    from orderdesk.core.db import Database
    from orderdesk.migrations import runner

    if backend == "postgres":
        url = await fresh_postgres_database(base_postgres_url, suffix)
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / (suffix + '.db')}"
    database = Database.from_url(url)
    try:
        await runner.upgrade(database)
    finally:
        await database.dispose()
    return url
