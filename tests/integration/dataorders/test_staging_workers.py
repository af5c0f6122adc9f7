"""Real `orderdesk worker` processes staging data orders: one killed with SIGKILL in the middle of a
copy (another takes the sub-order up after the lease; every file arrives once, whole), and two at
once (the per-user limit still holds, and every file is staged once)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import subprocess
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from orderdesk.app import create_app
from orderdesk.core.db import Database
from orderdesk.dataorders.service.catalogue import import_dataset, read_folder
from orderdesk.settings import DataOrderSettings
from tests.conftest import BACKENDS, POSTGRES_URL, Tokens, make_settings
from tests.integration.dataorders.flow import MIB, files_of, order_all, order_of, status_of
from tests.support.processes import orderdesk_process, own_migrated_database

pytestmark = pytest.mark.slow
_DEADLINE_SECONDS = 90.0


@pytest.fixture(params=BACKENDS)
async def own_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return await own_migrated_database(request.param, POSTGRES_URL, tmp_path, "staging_workers")


@pytest.fixture
def shared_home(tmp_path: Path) -> Path:
    """The home of the API and of the workers alike: they share the staging area, as on one host."""
    return tmp_path / "home"


@pytest.fixture
async def database(own_database: str) -> AsyncIterator[Database]:
    database = Database.from_url(own_database, pool_size=2)
    yield database
    await database.dispose()


@pytest.fixture
async def api(shared_home: Path, own_database: str, database: Database) -> AsyncIterator[httpx.AsyncClient]:
    """The API in this process; it splits orders into sub-orders of 1 MiB."""
    settings = make_settings(shared_home, own_database)
    settings = settings.model_copy(update={"dataorders": DataOrderSettings(bucket_mb=1)})
    app = create_app(settings, database=database)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
def user(shared_home: Path) -> dict[str, str]:
    return Tokens(shared_home).user("ola@example.com")


async def catalogue(database: Database, root: Path, sizes: dict[str, int]) -> dict[str, str]:
    """One product per file, random bytes; the MD5 of each file by name."""
    digests = {}
    for name, size in sizes.items():
        (root / name).mkdir(parents=True)
        data = os.urandom(size)
        (root / name / f"{name}.bin").write_bytes(data)
        digests[f"{name}.bin"] = hashlib.md5(data, usedforsecurity=False).hexdigest()
    async with database.transaction() as connection:
        await import_dataset(connection, "data", root, await read_folder(root), now=datetime.now(UTC))
    return digests


@contextmanager
def worker(home: Path, database_url: str, log: Path, **extra: str) -> Iterator[subprocess.Popen[bytes]]:
    env = {
        "ORDERDESK_DATABASE_URL": database_url,
        "ORDERDESK_DATAORDER_STAGING_LEASE_SECONDS": "2",
        "ORDERDESK_LOG_FORMAT": "json",
        "ORDERDESK_LOG_LEVEL": "DEBUG",  # the staging worker logs each pass (`staging_pass`) at DEBUG
        **extra,
    }
    with orderdesk_process(home, ["worker"], env, log, graceful=False) as process:
        yield process


async def until(condition: object, *logs: Path) -> None:
    assert callable(condition)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + _DEADLINE_SECONDS
    while not await condition():
        if loop.time() > deadline:
            tails = "\n".join(log.read_text()[-3000:] for log in logs if log.exists())
            pytest.fail(f"not reached before the deadline\n{tails}")
        await asyncio.sleep(0.05)


def passes(log: Path) -> int:
    """The staging passes a worker has finished (its `staging_pass` events)."""
    if not log.exists():
        return 0
    count = 0
    for line in log.read_text(errors="replace").splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict) and event.get("event") == "staging_pass":
            count += 1
    return count


async def download_all(api: httpx.AsyncClient, user: dict[str, str], order_id: int) -> dict[str, str]:
    """Download every available file; the MD5 of each by name."""
    _code, page = await status_of(api, user, order_id)
    digests = {}
    for item in page["content"]:
        response = await api.get(item["uri"].removeprefix("http://testserver"), headers=user)
        assert response.status_code == 200
        digests[item["filename"]] = hashlib.md5(response.content, usedforsecurity=False).hexdigest()
    return digests


async def test_worker_killed_mid_copy__another_stages_it__every_file_once_and_whole(
    api: httpx.AsyncClient,
    user: dict[str, str],
    database: Database,
    own_database: str,
    shared_home: Path,
    tmp_path: Path,
) -> None:
    expected = await catalogue(database, tmp_path / "catalogue", {f"P{i}": 96 * MIB for i in range(3)})
    order_id = await order_all(api, user, "data")
    area = shared_home / "dataorders" / str(order_id)
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"

    with worker(shared_home, own_database, first_log) as first:

        async def copying() -> bool:
            return area.is_dir() and any(path.suffix == ".partial" for path in area.iterdir())

        await until(copying, first_log)
        first.kill()
        first.wait()
    assert (await order_of(api, user, order_id))["status"] == "RUNNING"

    with worker(shared_home, own_database, second_log, ORDERDESK_DATAORDER_MAX_SUBORDERS_PER_USER="3"):

        async def done() -> bool:
            return bool((await order_of(api, user, order_id))["status"] == "DONE")

        await until(done, second_log)

    assert await download_all(api, user, order_id) == expected
    assert set((await files_of(api, user, order_id)).values()) == {"DOWNLOADED"}
    assert sorted(path.name for path in area.iterdir() if path.suffix == ".partial") == []


async def test_two_workers_at_once__limit_per_user_holds__each_file_staged_once(
    api: httpx.AsyncClient,
    user: dict[str, str],
    database: Database,
    own_database: str,
    shared_home: Path,
    tmp_path: Path,
) -> None:
    expected = await catalogue(database, tmp_path / "catalogue", {f"P{i}": MIB + 1 for i in range(6)})
    order_id = await order_all(api, user, "data")
    logs = [tmp_path / "one.log", tmp_path / "two.log"]
    received: dict[str, str] = {}

    with worker(shared_home, own_database, logs[0]), worker(shared_home, own_database, logs[1]):
        for _round in range(3):

            async def two_staged() -> bool:
                return bool((await order_of(api, user, order_id))["availableFilesCount"] == 2)

            await until(two_staged, *logs)
            # Two more passes each: the second of them began after two were staged, so both workers
            # have looked again since, and still only two are.
            wanted = [passes(log) + 2 for log in logs]

            async def looked_again(wanted: list[int] = wanted) -> bool:
                return all(passes(log) >= count for log, count in zip(logs, wanted, strict=True))

            await until(looked_again, *logs)
            order = await order_of(api, user, order_id)
            assert order["availableFilesCount"] == 2
            received |= await download_all(api, user, order_id)

    assert received == expected
    assert (await order_of(api, user, order_id))["status"] == "DONE"
