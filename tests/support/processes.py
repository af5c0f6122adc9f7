"""Running the real `orderdesk` console script in a subprocess, on a home of the test's own."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support.workers import free_port

_TIMEOUT_SECONDS = 120
_STARTUP_DEADLINE_SECONDS = 60.0


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
    """The current environment without any ORDERDESK_ setting, pointed at `home` (and loopback allowed
    to outbound calls)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("ORDERDESK_")}
    env["ORDERDESK_HOME"] = str(home)
    # The tests' HTTP stubs listen on loopback, which outbound calls refuse unless it is allowed.
    env["ORDERDESK_OUTBOUND_ALLOWED_NETWORKS"] = "127.0.0.0/8,::1/128"
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


@contextmanager
def orderdesk_process(
    home: Path, args: list[str], env: Mapping[str, str], log: Path, *, graceful: bool = True
) -> Iterator[subprocess.Popen[bytes]]:
    """`orderdesk ARGS` in the background, its output appended to `log`; stopped when the block ends,
    with SIGTERM and a wait (`graceful`) or with SIGKILL."""
    home.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as output:
        process = subprocess.Popen(
            [orderdesk_executable(), *args],
            env=orderdesk_env(home, env),
            cwd=home,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        if graceful:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        elif process.poll() is None:
            process.kill()
        process.wait()


@dataclass
class Server:
    base_url: str
    process: subprocess.Popen[bytes]
    log: Path


@contextmanager
def serving(home: Path, env: dict[str, str], *args: str, port: int | None = None) -> Iterator[Server]:
    """`orderdesk serve ARGS` on `port` (or a free one); always stopped when the block ends."""
    port = port or free_port()
    log = home / f"serve-{port}.log"
    with orderdesk_process(home, ["serve", "--port", str(port), *args], env, log) as process:
        yield Server(base_url=f"http://127.0.0.1:{port}", process=process, log=log)


async def wait_until_healthy(server: Server) -> dict[str, str]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + _STARTUP_DEADLINE_SECONDS
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        while True:
            if server.process.poll() is not None:
                pytest.fail(f"orderdesk serve exited early:\n{server.log.read_text()}")
            try:
                response = await http.get("/health")
                if response.status_code == 200:
                    health: dict[str, str] = response.json()
                    return health
            except httpx.TransportError:
                pass
            if loop.time() > deadline:
                pytest.fail(f"orderdesk serve never became healthy:\n{server.log.read_text()}")
            await asyncio.sleep(0.1)
