"""Data orders of "1 GiB in 1000 files": 1000 random files of 1 MiB in 100 products, against plain
copies and reads of the same files in the same run. Rates in MB/s (10^6 bytes), median of the rounds.

- `staging`: an order placed through the API (in-process), then the staging worker stepped until it
  has nothing left; against `cp -r` of the catalogue folder and against reading every file.
- `download`: a real `orderdesk serve` stages orders with its own worker; every file of one order is
  fetched by its `uri` (4 at a time), another order as one zip, both with httpx; against reading the
  staged files. The server's CPU time per GiB tells its cost apart from the client's, a third order
  fetched as a zip by curl shows the pace without httpx, and the server's peak RSS around the zip
  shows whether the archive is streamed or held in memory.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import statistics
import subprocess
import time
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import httpx

from bench.common import Baseline, Comparison, cpu_seconds, fresh_database, timed
from orderdesk.app import create_app
from orderdesk.auth.keys import load_or_create_signing_key
from orderdesk.auth.tokens import mint_user_token
from orderdesk.core.clock import utcnow
from orderdesk.core.db import Database
from orderdesk.dataorders.service.catalogue import import_dataset, read_folder
from orderdesk.dataorders.tasks import StagingRules, StagingWorker
from orderdesk.settings import DatabaseSettings, Settings
from tests.support.processes import orderdesk_env, orderdesk_executable, run_orderdesk
from tests.support.workers import free_port

API = "/api/v1/rs-order"
DATASET = "bench"
USER = "bench@example.com"
PRODUCTS = 100
FILES = 1000
FILE_BYTES = 1024 * 1024
TOTAL_BYTES = FILES * FILE_BYTES
MB = 1_000_000
GIB = 1024**3
CHUNK_BYTES = 1024 * 1024
CONCURRENT_DOWNLOADS = 4
ROUNDS = 3
PAGE_CACHE_NOTE = (
    "Every figure reads from the page cache (the files were just written and the RAM holds them all),"
    " so these are CPU and memory-bandwidth rates, not disk rates; dirty pages are synced before each"
    " timing, but writes of the copies land in the page cache and reach the disk after the clock stops."
)


def _make_catalog(root: Path) -> None:
    per_product = FILES // PRODUCTS
    for product in range(PRODUCTS):
        folder = root / f"P{product:03d}"
        folder.mkdir(parents=True)
        for index in range(per_product):
            (folder / f"f{index:02d}.bin").write_bytes(os.urandom(FILE_BYTES))


async def _import(database: Database, root: Path) -> None:
    entries = await read_folder(root)
    async with database.transaction() as connection:
        await import_dataset(connection, DATASET, root, entries, now=datetime.now(UTC))


def _files_under(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


def _read_all(paths: list[Path], hashing: bool) -> int:
    """Bytes read, 1 MiB at a time into one buffer: the least a reader of these files must do; with
    `hashing`, each file's MD5 too, the least a checksum-verified copy must do."""
    view = memoryview(bytearray(CHUNK_BYTES))
    total = 0
    for path in paths:
        digest = hashlib.md5(usedforsecurity=False)
        with path.open("rb", buffering=0) as stream:
            while read := stream.readinto(view):
                total += read
                if hashing:
                    digest.update(view[:read])
    return total


def _rate(nbytes: int, seconds: float) -> float:
    return nbytes / seconds / MB


async def _read_rate(root: Path, *, hashing: bool = False) -> float:
    paths = _files_under(root)
    started = time.perf_counter()
    read = await asyncio.to_thread(_read_all, paths, hashing)
    seconds = time.perf_counter() - started
    if read != TOTAL_BYTES:
        raise RuntimeError(f"read {read} bytes under {root}, expected {TOTAL_BYTES}")
    return _rate(read, seconds)


def _cp(source: Path, target: Path) -> None:
    subprocess.run(["cp", "-r", str(source), str(target)], check=True)


async def _cp_rate(source: Path, target: Path) -> float:
    seconds = await timed(lambda: asyncio.to_thread(_cp, source, target))
    shutil.rmtree(target)
    return _rate(TOTAL_BYTES, seconds)


async def _place_order(http: httpx.AsyncClient, auth: dict[str, str]) -> int:
    added = await http.post(f"{API}/order/basket/selection", json={"dataset": DATASET}, headers=auth)
    added.raise_for_status()
    placed = await http.post(f"{API}/user/orders", json={}, headers=auth)
    if placed.status_code != 201:
        raise RuntimeError(f"placing the order: {placed.status_code} {placed.text}")
    order_id: int = placed.json()["id"]
    return order_id


async def _order(http: httpx.AsyncClient, auth: dict[str, str], order_id: int) -> dict[str, Any]:
    response = await http.get(f"{API}/user/orders/{order_id}", headers=auth)
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


def _check_done(order: dict[str, Any]) -> None:
    if order["status"] != "DONE" or order["availableFilesCount"] != FILES:
        raise RuntimeError(f"order {order['id']} is {order['status']} with {order['availableFilesCount']}")


async def _stage_all(worker: StagingWorker) -> int:
    steps = 0
    while await worker.step() == 0.0:
        steps += 1
    return steps


def _median(values: list[float]) -> str:
    return f"{statistics.median(values):.1f}"


async def staging(rounds: int = ROUNDS) -> Comparison:
    ours: list[float] = []
    copies: list[float] = []
    reads: list[float] = []
    hashes: list[float] = []
    with TemporaryDirectory(prefix="orderdesk-bench-") as folder:
        base = Path(folder)
        catalog, area = base / "catalog", base / "area"
        await asyncio.to_thread(_make_catalog, catalog)
        url, database = await fresh_database("dataorders")
        settings = Settings(home=base / "home", database=DatabaseSettings(url=url))
        settings.home.mkdir()
        key = load_or_create_signing_key(settings.signing_key_path)
        auth = {
            "Authorization": "Bearer "
            + mint_user_token(key, issuer=settings.auth.local_issuer, email=USER, role="REGISTERED_USER")
        }
        app = create_app(settings, database=database)
        placing: list[float] = []
        suborders = 0
        try:
            os.sync()
            import_seconds = await timed(lambda: _import(database, catalog))
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://bench", timeout=600
            ) as http:
                for _ in range(rounds):
                    started = time.perf_counter()
                    order_id = await _place_order(http, auth)
                    placing.append(time.perf_counter() - started)
                    worker = StagingWorker(
                        database,
                        StagingRules(area=area, max_per_user=FILES, links_base_url=settings.links_base_url),
                        utcnow,
                    )
                    os.sync()
                    started = time.perf_counter()
                    suborders = await _stage_all(worker)
                    ours.append(_rate(TOTAL_BYTES, time.perf_counter() - started))
                    _check_done(await _order(http, auth, order_id))
                    shutil.rmtree(area)
                    os.sync()
                    copies.append(await _cp_rate(catalog, base / "copy"))
                    os.sync()
                    reads.append(await _read_rate(catalog))
                    hashes.append(await _read_rate(catalog, hashing=True))
        finally:
            await database.dispose()
    return Comparison(
        title="Staging a data order of 1 GiB in 1000 files (checksums verified)",
        unit="MB/s",
        ours=ours,
        baseline=copies,
        baseline_name="`cp -r` of the catalogue folder",
        target=None,
        others=(
            Baseline("reading every file (1 MiB reads)", reads),
            Baseline("reading every file and its MD5 (one core)", hashes),
        ),
        notes=(
            "orderdesk's figure is `StagingWorker.step()` run until it finds nothing to stage: claiming"
            f" each of the {suborders} sub-orders (100 MiB buckets), copying its files into the order's"
            " area with their MD5 verified, and recording the results in PostgreSQL. It copies two files"
            " of a sub-order at a time (each copy is read back and hashed on one core), so twice the"
            " read-and-MD5 figure is its ceiling on this 2-core machine, shared with PostgreSQL; `cp`"
            " neither hashes nor records anything. Staging one file at a time measured 179 MB/s (0.28x"
            " `cp`) in an earlier run. Placing the order"
            f" through the API took {_median(placing)} s (median); importing the catalogue (scan with"
            f" MD5, then PostgreSQL) ran at {_rate(TOTAL_BYTES, import_seconds):,.0f} MB/s. {PAGE_CACHE_NOTE}"
        ),
    )


@dataclass(frozen=True, slots=True)
class Server:
    base_url: str
    pid: int


@contextmanager
def _serving(home: Path, env: dict[str, str]) -> Iterator[Server]:
    """`orderdesk serve` (API and workers) on a free port, its output in the home; always stopped."""
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    with (home / "serve.log").open("wb") as log:
        process = subprocess.Popen(
            [orderdesk_executable(), "serve", "--port", str(port)],
            env=orderdesk_env(home, env),
            cwd=home,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        yield Server(f"http://127.0.0.1:{port}", process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def _wait_healthy(server: Server, home: Path) -> None:
    deadline = time.monotonic() + 60
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        while time.monotonic() < deadline:
            try:
                if (await http.get("/health")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"orderdesk serve never became healthy:\n{(home / 'serve.log').read_text()}")


async def _wait_done(http: httpx.AsyncClient, order_id: int) -> None:
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        order = await _order(http, {}, order_id)
        if order["status"] not in ("PENDING", "RUNNING"):
            _check_done(order)
            return
        await asyncio.sleep(0.2)
    raise RuntimeError(f"order {order_id} was not staged in time")


def _memory_kib(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) of a process, in KiB."""
    figures = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _colon, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            figures[name] = int(value.split()[0])
    return figures


def _reset_peak(pid: int) -> None:
    """Start VmHWM again from the current RSS (Linux 4.0+), so the next peak is the next action's."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


async def _fetch(http: httpx.AsyncClient, url: str) -> int:
    received = 0
    async with http.stream("GET", url) as response:
        response.raise_for_status()
        async for chunk in response.aiter_raw(CHUNK_BYTES):
            received += len(chunk)
    return received


async def _download_files(http: httpx.AsyncClient, order_id: int) -> int:
    listed = await http.get(f"{API}/user/orders/{order_id}/files/available", params={"size": FILES})
    listed.raise_for_status()
    queue = [item["uri"] for item in listed.json()["content"]]
    if len(queue) != FILES:
        raise RuntimeError(f"order {order_id} lists {len(queue)} files")

    async def downloader() -> int:
        received = 0
        while queue:
            received += await _fetch(http, queue.pop())
        return received

    return sum(await asyncio.gather(*(downloader() for _ in range(CONCURRENT_DOWNLOADS))))


@dataclass(slots=True)
class Way:
    """One way of downloading an order, over the rounds."""

    rates: list[float] = field(default_factory=list)
    """MB/s as the client received them."""
    reads: list[float] = field(default_factory=list)
    """MB/s reading the same staged files from disk, the baseline."""
    server_cpu: list[float] = field(default_factory=list)
    """CPU seconds the server spent per GiB sent."""
    peak_mib: list[float] = field(default_factory=list)
    """The server's peak RSS during the download."""
    growth_mib: list[float] = field(default_factory=list)
    """That peak less the server's RSS just before."""


@dataclass(slots=True)
class DownloadFigures:
    files: Way = field(default_factory=Way)
    zip: Way = field(default_factory=Way)
    curl_zip: list[float] = field(default_factory=list)
    staging: list[float] = field(default_factory=list)
    zip_bytes: int = 0
    lifetime_peak_mib: float = 0.0
    """The highest RSS the server reached in the run: each action's peak is measured from a reset of
    VmHWM, so this is the largest of them and of the peak since the last reset."""


async def _measured(server: Server, way: Way, download: Awaitable[int]) -> int:
    """Run `download` (bytes received) and record its rate, the server's CPU time and peak memory."""
    before = _memory_kib(server.pid)
    _reset_peak(server.pid)
    cpu = cpu_seconds(server.pid)
    started = time.perf_counter()
    received = await download
    way.rates.append(_rate(received, time.perf_counter() - started))
    way.server_cpu.append((cpu_seconds(server.pid) - cpu) * GIB / received)
    after = _memory_kib(server.pid)
    way.peak_mib.append(after["VmHWM"] / 1024)
    way.growth_mib.append((after["VmHWM"] - before["VmRSS"]) / 1024)
    return received


async def _curl(url: str, token: str) -> float:
    """MB/s of curl fetching `url` into /dev/null: a client much lighter than httpx."""
    auth = f"Authorization: Bearer {token}"
    command = ["curl", "-sSf", "-o", "/dev/null", "-w", "%{size_download}", "-H", auth, url]
    started = time.perf_counter()
    done = await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True, check=True)
    return _rate(int(done.stdout), time.perf_counter() - started)


async def _download_round(
    http: httpx.AsyncClient, server: Server, area: Path, token: str, figures: DownloadFigures
) -> None:
    placed = time.perf_counter()
    orders = [await _place_order(http, {}) for _ in range(3 if shutil.which("curl") else 2)]
    for order_id in orders:
        await _wait_done(http, order_id)
    figures.staging.append(_rate(len(orders) * TOTAL_BYTES, time.perf_counter() - placed))
    by_file, as_zip, *by_curl = orders
    os.sync()

    received = await _measured(server, figures.files, _download_files(http, by_file))
    if received != TOTAL_BYTES:
        raise RuntimeError(f"received {received} bytes of {TOTAL_BYTES}")
    figures.files.reads.append(await _read_rate(area / str(by_file)))

    received = await _measured(server, figures.zip, _fetch(http, f"{API}/user/orders/{as_zip}/download"))
    if received < TOTAL_BYTES:
        raise RuntimeError(f"the zip held {received} bytes, fewer than the files' {TOTAL_BYTES}")
    figures.zip_bytes = received
    figures.zip.reads.append(await _read_rate(area / str(as_zip)))

    for order_id in by_curl:
        figures.curl_zip.append(await _curl(f"{server.base_url}{API}/user/orders/{order_id}/download", token))
    for order_id in orders:
        shutil.rmtree(area / str(order_id))


async def download(rounds: int = ROUNDS) -> list[Comparison]:
    figures = DownloadFigures()
    with TemporaryDirectory(prefix="orderdesk-bench-") as folder:
        base = Path(folder)
        catalog, home = base / "catalog", base / "home"
        await asyncio.to_thread(_make_catalog, catalog)
        url, database = await fresh_database("dataorders_download")
        try:
            await _import(database, catalog)
        finally:
            await database.dispose()
        env = {
            "ORDERDESK_DATABASE_URL": url,
            "ORDERDESK_DATAORDER_BUCKET_MB": "100",
            "ORDERDESK_DATAORDER_MAX_SUBORDERS_PER_USER": str(FILES),
            "ORDERDESK_LOG_LEVEL": "WARNING",
        }
        with _serving(home, env) as server:
            await _wait_healthy(server, home)
            token = run_orderdesk(home, "token", "--user", USER, env=env).stdout.strip()
            async with httpx.AsyncClient(
                base_url=server.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=600
            ) as http:
                for _ in range(rounds):
                    await _download_round(http, server, home / "dataorders", token, figures)
            figures.lifetime_peak_mib = max(
                [_memory_kib(server.pid)["VmHWM"] / 1024, *figures.files.peak_mib, *figures.zip.peak_mib]
            )
    return _download_comparisons(figures)


def _rounds(values: list[float]) -> str:
    return ", ".join(f"{value:,.1f}" for value in values)


def _download_comparisons(figures: DownloadFigures) -> list[Comparison]:
    setting = (
        "The server is a real `orderdesk serve` (uvicorn, API and workers in one process) on the same"
        f" 2 cores as the benchmark's client. Its own staging worker staged the round's orders at a"
        f" median of {statistics.median(figures.staging):,.0f} MB/s from placing to DONE. {PAGE_CACHE_NOTE}"
    )
    files, zipped = figures.files, figures.zip
    per_file_ms = 1000 * statistics.median(files.server_cpu) * TOTAL_BYTES / GIB / FILES
    curl = " (curl is not installed: no figure with a lighter client.)"
    if figures.curl_zip:
        faster = statistics.median(figures.curl_zip) / statistics.median(zipped.rates)
        pace = "httpx, not the server, sets the pace above" if faster > 1.3 else "the server sets the pace"
        curl = (
            f" The same zip fetched by curl instead of httpx: **{statistics.median(figures.curl_zip):,.0f}"
            f" MB/s** (rounds {_rounds(figures.curl_zip)}), {faster:.1f}x: {pace}."
        )
    return [
        Comparison(
            title=f"Downloading a 1 GiB data order file by file, {CONCURRENT_DOWNLOADS} at a time",
            unit="MB/s",
            ours=files.rates,
            baseline=files.reads,
            baseline_name="reading the staged files (1 MiB reads)",
            target=None,
            notes=(
                "Every file of the order fetched by its `uri` from `files/available` with httpx,"
                " streamed and discarded; the server records each one DOWNLOADED in PostgreSQL. The"
                f" server spent {_median(files.server_cpu)} s of CPU per GiB sent (rounds"
                f" {_rounds(files.server_cpu)}), {per_file_ms:.1f} ms per file. Its peak RSS meanwhile:"
                f" {_median(files.peak_mib)} MiB. {setting}"
            ),
        ),
        Comparison(
            title="Downloading a 1 GiB data order as one zip",
            unit="MB/s",
            ours=zipped.rates,
            baseline=zipped.reads,
            baseline_name="reading the staged files (1 MiB reads)",
            target=None,
            notes=(
                f"The zip ({figures.zip_bytes:,} bytes, stored entries) streamed by httpx and discarded."
                f" **Server peak RSS during the zip: {_median(zipped.peak_mib)} MiB** (median; rounds"
                f" {_rounds(zipped.peak_mib)}), {_median(zipped.growth_mib)} MiB above its RSS just"
                f" before (rounds {_rounds(zipped.growth_mib)}); the highest it reached in the whole run was"
                f" {figures.lifetime_peak_mib:.1f} MiB. The archive is streamed, not held: holding it"
                " would add over 1024 MiB. The server spent"
                f" {_median(zipped.server_cpu)} s of CPU per GiB sent.{curl} {setting}"
            ),
        ),
    ]
