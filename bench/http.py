"""The HTTP API under load from `wrk`, each figure against a baseline served the same way in the run.

- `status_read`: `GET …/orders/{id}/status` of a 10-notification order, orderdesk against
  bench/baseline_app.py (one asyncpg primary-key lookup), with 1 and N uvicorn workers (N = CPUs):
  peak req/s, then p99 with both paced at half of orderdesk's peak.
- `status_read_large`: the same read of a 100 000-notification order against the 10-notification one.
- `intake`: `POST …/orders/email`, one recipient, against the baseline's one INSERT.
- `sqlite_mode`: status read and intake on the embedded SQLite default against PostgreSQL.

`python -m bench.http [--duration S] [--rounds R] NAME …` runs them without writing BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager, suppress
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from tempfile import TemporaryDirectory
from uuid import UUID

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from bench import baseline_app
from bench.common import Comparison, expanded_email_order, fresh_database
from orderdesk.auth.keys import load_or_create_signing_key
from orderdesk.auth.tokens import mint_service_owner_token
from orderdesk.core.db import Database
from orderdesk.migrations import runner
from orderdesk.settings import Settings
from tests.support.processes import orderdesk_env, orderdesk_executable
from tests.support.workers import free_port

ROUNDS = 3
SECONDS = 5
WARMUP_SECONDS = 1
THREADS = 1
"""One wrk thread drives tens of thousands of requests a second, far above what either server does
here; a second thread would only take CPU from the servers on this 2-core machine."""
CONNECTIONS = 16
"""Enough requests in flight to keep every worker busy (8 per core), below each process's pool."""
WORKERS = os.cpu_count() or 1
ORG = "ttd"
LARGE_ORDER = 100_000
SMALL_ORDER = 10

_REPO = Path(__file__).resolve().parent.parent
_LUA = Path(__file__).resolve().parent / "wrk"
_API = "/notifications/api/v1/orders"
_ORDERDESK_FACTORY = "orderdesk.asgi:app_from_environment"
"""What each uvicorn worker process serves: the app `serve --no-worker` builds, from the environment
(ORDERDESK_HOME, ORDERDESK_DATABASE_URL); the bench has migrated the database."""
_BASELINE_FACTORY = "bench.baseline_app:create_app"


# wrk


@dataclass(frozen=True, slots=True)
class WrkResult:
    requests_per_second: float
    average_ms: float
    p99_ms: float
    socket_errors: int
    """Connect, read and write errors and timeouts: requests that got no answer."""


_RATE = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
_AVERAGE = re.compile(r"^\s*Latency\s+([\d.]+)(us|ms|s|m)\s", re.MULTILINE)
_P99 = re.compile(r"^\s*99%\s+([\d.]+)(us|ms|s|m)\s*$", re.MULTILINE)
_NON_2XX = re.compile(r"Non-2xx or 3xx responses: (\d+)")
_SOCKET_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
_TO_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def parse_wrk(output: str) -> WrkResult:
    """The figures of one `wrk --latency` run; raises when any answer was not 2xx."""
    rate, average, p99 = _RATE.search(output), _AVERAGE.search(output), _P99.search(output)
    if rate is None or average is None or p99 is None:
        raise RuntimeError(f"wrk printed no figures:\n{output}")
    refused = _NON_2XX.search(output)
    if refused is not None:
        raise RuntimeError(f"{refused.group(1)} answers were not 2xx:\n{output}")
    errors = _SOCKET_ERRORS.search(output)
    return WrkResult(
        requests_per_second=float(rate.group(1)),
        average_ms=float(average.group(1)) * _TO_MS[average.group(2)],
        p99_ms=float(p99.group(1)) * _TO_MS[p99.group(2)],
        socket_errors=sum(int(count) for count in errors.groups()) if errors else 0,
    )


def ensure_wrk() -> str:
    """The wrk executable, installed with apt-get when missing and running as root."""
    found = shutil.which("wrk")
    if found is not None:
        return found
    if os.geteuid() != 0:
        raise RuntimeError("wrk is not installed: `sudo apt-get install -y wrk`, then run again")
    print("bench: wrk is missing, installing it: apt-get install -y wrk", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "wrk"]
    if subprocess.run(install, env=env, check=False).returncode != 0:
        subprocess.run(["apt-get", "update"], env=env, check=True)
        subprocess.run(install, env=env, check=True)
    found = shutil.which("wrk")
    if found is None:
        raise RuntimeError("apt-get installed wrk, yet it is not on PATH")
    return found


def wrk_flags(seconds: int) -> str:
    return f"-t{THREADS} -c{CONNECTIONS} -d{seconds}s --latency --timeout 10s"


async def wrk(
    url: str,
    seconds: int,
    *,
    token: str,
    script: str | None = None,
    script_args: Sequence[str] = (),
) -> WrkResult:
    command = [ensure_wrk(), *wrk_flags(seconds).split(), "-H", f"Authorization: Bearer {token}"]
    if script is not None:
        command += ["-s", str(_LUA / script)]
    command.append(url)
    if script_args:
        command += ["--", *script_args]
    process = await asyncio.create_subprocess_exec(*command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"wrk failed ({process.returncode}):\n{output.decode()}")
    return parse_wrk(output.decode())


def paced_delay_ms(rate: float, latency_ms: float) -> str:
    """wrk's per-connection delay (whole ms) for `rate` requests/s in all, given the latency the
    connection spends on each request besides."""
    return str(max(0, round(CONNECTIONS * 1000 / rate - latency_ms)))


# Servers


@asynccontextmanager
async def _server(
    command: list[str], env: dict[str, str], home: Path, *, started_workers: int = 0
) -> AsyncIterator[str]:
    """`command --port P` in a process group of its own, answering HTTP (and, under uvicorn's
    supervisor, once `started_workers` workers have logged their start); its base URL. The whole
    group (the supervisor and its workers) is stopped when the block ends, also on errors."""
    port = free_port()
    log = home / f"server-{port}.log"
    with log.open("ab") as output:
        process = subprocess.Popen(
            [*command, "--port", str(port)],
            env=env,
            cwd=home,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        await _wait_until_ready(process, base_url, log, started_workers)
        yield base_url
    finally:
        _stop(process)


async def _wait_until_ready(
    process: subprocess.Popen[bytes], base_url: str, log: Path, started_workers: int
) -> None:
    """Until the server answers; with several workers the first answers while the others may still
    be importing, so also until each has logged that it started."""
    deadline = time.monotonic() + 60
    answered = False
    async with httpx.AsyncClient(base_url=base_url, timeout=1) as http:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited early:\n{log.read_text()}")
            if not answered:
                with suppress(httpx.TransportError):
                    await http.get("/health")
                    answered = True
            if answered and log.read_bytes().count(b"Application startup complete") >= started_workers:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server never got ready:\n{log.read_text()}")
            await asyncio.sleep(0.1)


def _stop(process: subprocess.Popen[bytes]) -> None:
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _uvicorn(factory: str, workers: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        factory,
        "--host",
        "127.0.0.1",
        "--workers",
        str(workers),
        "--no-access-log",
        # info, not warning: each worker's "Application startup complete" tells when all are up.
        "--log-level",
        "info",
    ]


def _orderdesk(home: Path, database_url: str | None, workers: int = 1) -> AbstractAsyncContextManager[str]:
    """orderdesk without its worker loops: `orderdesk serve --no-worker` for one worker (what users
    run), the same app under `uvicorn --factory orderdesk.asgi:app_from_environment --workers N` for
    more (which logs when each worker process has started, whatever ORDERDESK_LOG_LEVEL says)."""
    extra = {"ORDERDESK_LOG_LEVEL": "WARNING", "PYTHONPATH": _python_path()}
    if database_url is not None:
        extra["ORDERDESK_DATABASE_URL"] = database_url
    env = orderdesk_env(home, extra)
    if workers == 1:
        command = [orderdesk_executable(), "serve", "--no-worker", "--host", "127.0.0.1"]
        return _server(command, env, home)
    return _server(_uvicorn(_ORDERDESK_FACTORY, workers), env, home, started_workers=workers)


def _baseline(home: Path, database_url: str, workers: int = 1) -> AbstractAsyncContextManager[str]:
    extra = {baseline_app.DSN_VARIABLE: _asyncpg_dsn(database_url), "PYTHONPATH": _python_path()}
    env = orderdesk_env(home, extra)
    return _server(_uvicorn(_BASELINE_FACTORY, workers), env, home, started_workers=workers)


def _python_path() -> str:
    """The repository first, so that uvicorn's workers import `bench` (the servers run in the home)."""
    return os.pathsep.join(filter(None, [str(_REPO), os.environ.get("PYTHONPATH")]))


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _create_baseline_table(url: str) -> None:
    connection = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        await connection.execute(baseline_app.CREATE_TABLE)
    finally:
        await connection.close()


def _serving(workers: int) -> str:
    if workers == 1:
        ours = "`orderdesk serve --no-worker` (uvicorn, 1 worker)"
    else:
        ours = f"`uvicorn --factory {_ORDERDESK_FACTORY} --workers {workers}` (the app `serve` builds)"
    return (
        f"orderdesk: {ours}; baseline: `uvicorn --factory {_BASELINE_FACTORY} --workers {workers}"
        " --no-access-log`; no access log on either side, the same uvicorn with uvloop and httptools"
    )


def _how(seconds: int, rounds: int, workers: int) -> str:
    return (
        f"wrk 4.1 `{wrk_flags(seconds)}`, {_rounds(rounds)} taking turns at going first, after a"
        f" {WARMUP_SECONDS} s warm-up of each server. {_serving(workers)}."
    )


def _rounds(rounds: int) -> str:
    return f"{rounds} round" + ("s" if rounds != 1 else "")


def _median(results: Sequence[WrkResult], figure: Callable[[WrkResult], float]) -> float:
    return statistics.median(figure(result) for result in results)


def _unanswered(**sides: Sequence[WrkResult]) -> str:
    """A sentence on requests that got no answer within wrk's timeout, empty when there were none."""
    counts = {name: sum(result.socket_errors for result in runs) for name, runs in sides.items()}
    if not any(counts.values()):
        return ""
    listed = ", ".join(f"{name} {count}" for name, count in counts.items())
    return f" Socket errors or timeouts (no answer within 10 s), summed over the rounds: {listed}."


# Orders and tokens


def _token(home: Path) -> str:
    """What `orderdesk token --org ttd` prints for a server on `home` (whose issuer is the default)."""
    key = load_or_create_signing_key(home / "signing-key.pem")
    return mint_service_owner_token(key, issuer="orderdesk", org=ORG, ttl_seconds=4 * 3600)


async def _order(database: Database, recipients: int) -> UUID:
    return await expanded_email_order(database, recipients, ORG)


async def _expect_generated(base_url: str, token: str, order_id: UUID, count: int) -> None:
    """Raise unless the server's status read counts `count` generated e-mail notifications."""
    async with httpx.AsyncClient(
        base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=60
    ) as http:
        response = await http.get(f"{_API}/{order_id}/status")
    response.raise_for_status()
    summary = response.json().get("notificationsStatusSummary") or {}
    generated = (summary.get("email") or {}).get("generated")
    if generated != count:
        raise RuntimeError(f"order {order_id}: {generated} notifications generated, not {count}")


# Rounds

Run = Callable[[], Awaitable[WrkResult]]


async def _taking_turns(rounds: int, first: Run, second: Run) -> tuple[list[WrkResult], list[WrkResult]]:
    """`rounds` runs of each, the one going first swapped every round, so that neither side always
    meets the machine as the other left it."""
    firsts: list[WrkResult] = []
    others: list[WrkResult] = []
    for index in range(rounds):
        if index % 2 == 0:
            firsts.append(await first())
            others.append(await second())
        else:
            others.append(await second())
            firsts.append(await first())
    return firsts, others


Paced = tuple[list[WrkResult], list[list[int]]]
"""A side's paced rounds and, per round, how many of wrk's connections each server process held."""


async def _paced(
    rounds: int, seconds: int, rate: float, token: str, first_url: str, second_url: str
) -> tuple[Paced, Paced]:
    """Rounds of both URLs paced at `rate` requests/s. Each connection waits CONNECTIONS/rate less
    the latency its side showed last on average (a calibration run first), so both meet about the
    same load. Halfway through each round, how the connections are spread is sampled."""
    latency = {first_url: 0.0, second_url: 0.0}
    spreads: dict[str, list[list[int]]] = {first_url: [], second_url: []}

    async def run(url: str, duration: int, *, sample: bool = True) -> WrkResult:
        delay = paced_delay_ms(rate, latency[url])
        spread = asyncio.create_task(_connections_per_process(url, after=duration / 2)) if sample else None
        result = await wrk(url, duration, token=token, script="paced.lua", script_args=[delay])
        if spread is not None:
            spreads[url].append(await spread)
        latency[url] = result.average_ms
        return result

    for url in (first_url, second_url):
        await run(url, WARMUP_SECONDS, sample=False)
    firsts, others = await _taking_turns(
        rounds, partial(run, first_url, seconds), partial(run, second_url, seconds)
    )
    return (firsts, spreads[first_url]), (others, spreads[second_url])


async def _connections_per_process(url: str, *, after: float) -> list[int]:
    """After `after` seconds, the established connections to `url`'s port held by each server
    process (uvicorn's workers share one listening socket), busiest first, as `ss` lists them."""
    await asyncio.sleep(after)
    port = httpx.URL(url).port
    try:
        listing = await asyncio.create_subprocess_exec(
            "ss", "-tnpH", "state", "established", f"( sport = :{port} )", stdout=subprocess.PIPE
        )
    except FileNotFoundError:  # no iproute2: the spread is left unreported
        return []
    output, _ = await listing.communicate()
    holders = Counter(_SS_PID.findall(output.decode()))
    return sorted(holders.values(), reverse=True)


_SS_PID = re.compile(r'users:\(\("[^"]*",pid=(\d+)')


async def _flat_out(
    rounds: int, seconds: int, token: str, first_url: str, second_url: str, *, script: str | None = None
) -> tuple[list[WrkResult], list[WrkResult]]:
    """Rounds of both URLs as fast as the servers answer."""
    return await _taking_turns(
        rounds,
        partial(wrk, first_url, seconds, token=token, script=script),
        partial(wrk, second_url, seconds, token=token, script=script),
    )


async def _warm_up(token: str, *urls: str, script: str | None = None) -> None:
    for url in urls:
        await wrk(url, WARMUP_SECONDS, token=token, script=script)


# Scenarios


async def status_read(rounds: int = ROUNDS, seconds: int = SECONDS) -> list[Comparison]:
    """Peak req/s and p99 at half of orderdesk's peak, with 1 and with N workers on each side."""
    ensure_wrk()
    url, database = await fresh_database("http_status")
    try:
        order_id = await _order(database, SMALL_ORDER)
    finally:
        await database.dispose()
    results: list[Comparison] = []
    with TemporaryDirectory() as folder:
        home = Path(folder).resolve()
        token = _token(home)
        for workers in sorted({1, WORKERS}):
            async with AsyncExitStack() as servers:
                ours = await servers.enter_async_context(_orderdesk(home, url, workers))
                base = await servers.enter_async_context(_baseline(home, url, workers))
                await _expect_generated(ours, token, order_id, SMALL_ORDER)
                ours_url = f"{ours}{_API}/{order_id}/status"
                base_url = f"{base}/orders/{order_id}/status"
                await _warm_up(token, ours_url, base_url)
                ours_peak, base_peak = await _flat_out(rounds, seconds, token, ours_url, base_url)
                rate = _median(ours_peak, lambda result: result.requests_per_second) / 2
                ours_paced, base_paced = await _paced(rounds, seconds, rate, token, ours_url, base_url)
            base_peak_rate = _median(base_peak, lambda result: result.requests_per_second)
            results += [
                _status_peak(workers, seconds, rounds, ours_peak, base_peak),
                _status_latency(workers, seconds, rounds, rate, ours_paced, base_paced, base_peak_rate),
            ]
    return results


STATUS_READ_SHORTFALL = (
    "both make the same one-row lookup; orderdesk spends about 0.34-0.37 ms of the server's CPU"
    " time per read against the baseline's 0.28-0.29 ms (from /proc under wrk, 2026-12-07 20:50"
    " UTC): the token check, FastAPI solving the route's one dependency and the path's id, four"
    " middleware layers (trace id, access log and metrics, body limit, fixed-path methods); with"
    " one worker process, wrk, PostgreSQL and the server share the 2 cores and the ratio moves by a"
    " fifth between runs"
)
"""Why the status read could fall below 0.8x in a run (BENCHMARKS.md notes: what was removed)."""
INTAKE_SHORTFALL = (
    "orderdesk spends about 0.45-0.50 ms of the server's CPU time per order against the baseline's"
    " 0.30-0.34 ms (from /proc under wrk, 2026-12-07 21:00 UTC): validating the body against the"
    " contract's pydantic models and the order rules, the token check, FastAPI's dependency"
    " solving, the order's row (19 columns, three of JSON) and the answer; the ratio moves by a"
    " tenth between runs"
)
"""Why order intake stays below 0.6x."""


def _plural(workers: int) -> str:
    return f"{workers} worker" + ("s" if workers > 1 else "")


def _status_peak(
    workers: int, seconds: int, rounds: int, ours: list[WrkResult], base: list[WrkResult]
) -> Comparison:
    return Comparison(
        title=f"Status read (`GET …/orders/{{id}}/status`, 10 notifications), {_plural(workers)}",
        unit="req/s",
        ours=[result.requests_per_second for result in ours],
        baseline=[result.requests_per_second for result in base],
        baseline_name="FastAPI + one asyncpg primary-key lookup",
        target=0.8,
        shortfall=STATUS_READ_SHORTFALL,
        notes=(
            f"{_how(seconds, rounds, workers)} orderdesk verifies the bearer token (ES256, cached) and"
            " reads the order's row with one statement outside a transaction (the driver runs a"
            " statement SQLAlchemy compiled once); the baseline has no authentication."
            f" p99 at peak: orderdesk {_median(ours, lambda r: r.p99_ms):.1f} ms, baseline"
            f" {_median(base, lambda r: r.p99_ms):.1f} ms." + _unanswered(orderdesk=ours, baseline=base)
        ),
    )


def _status_latency(
    workers: int, seconds: int, rounds: int, rate: float, ours: Paced, base: Paced, base_peak: float
) -> Comparison:
    (ours_runs, ours_spreads), (base_runs, base_spreads) = ours, base
    spread = (
        f" wrk's connections per server process, sampled halfway through each round, busiest first:"
        f" orderdesk {_spreads(ours_spreads)}; baseline {_spreads(base_spreads)}."
        if workers > 1
        else ""
    )
    return Comparison(
        title=f"Status read p99 at half of orderdesk's peak, {_plural(workers)}",
        unit="µs p99",
        ours=[result.p99_ms * 1000 for result in ours_runs],
        baseline=[result.p99_ms * 1000 for result in base_runs],
        baseline_name="FastAPI + one asyncpg primary-key lookup",
        target=None,
        at_most=2.0,
        shortfall=_latency_shortfall(workers, rate, base_peak),
        notes=(
            f"Both sides paced at the same {rate:,.0f} req/s, half of orderdesk's median peak above,"
            " with `-s bench/wrk/paced.lua` (classic wrk has no `-R`: before each request each"
            f" connection waits a random 0 to 2x ({CONNECTIONS}/rate less its latency), so that they"
            " do not fire in step; no correction for coordinated omission); achieved:"
            f" orderdesk {_median(ours_runs, lambda r: r.requests_per_second):,.0f} req/s, baseline"
            f" {_median(base_runs, lambda r: r.requests_per_second):,.0f} req/s.{spread}"
            f" {_how(seconds, rounds, workers)}" + _unanswered(orderdesk=ours_runs, baseline=base_runs)
        ),
    )


def _spreads(samples: list[list[int]]) -> str:
    return ", ".join("/".join(str(count) for count in sample) or "none" for sample in samples)


def _latency_shortfall(workers: int, rate: float, base_peak: float) -> str:
    """Why the paced p99 can exceed 2x: the same rate is half of orderdesk's peak but a smaller share
    of the baseline's, and with several workers the connections do not spread evenly."""
    load = (
        f"at the same {rate:,.0f} req/s orderdesk runs at half its peak and the baseline at"
        f" {rate / base_peak:.0%} of its own, on 2 cores shared with wrk and PostgreSQL, so orderdesk's"
        " requests queue behind each other more often"
    )
    if workers == 1:
        # In an M/M/1 queue every percentile of the time in the system goes as 1 / (peak - load);
        # the rate is half of orderdesk's peak.
        ours_peak = 2 * rate
        queued = (base_peak - rate) / (ours_peak - rate)
        return (
            f"{load}: a single queue served at these peaks predicts {queued:.1f}x from the peak"
            " ratio alone (each percentile of an M/M/1 queue's time in system goes as 1 / (peak rate"
            " less load)), so this row follows the peak row's shortfall"
        )
    return (
        f"{load}; and uvicorn's {workers} workers share one listening socket, so the {CONNECTIONS}"
        " connections wrk opens at once are spread unevenly (the counts below): orderdesk's busiest"
        " worker then serves most of the load, close to a single worker's peak"
    )


async def status_read_large(rounds: int = ROUNDS, seconds: int = SECONDS) -> Comparison:
    """The status read of a 100 000-notification order against the same read of a 10-notification
    one, on one server: the read should not grow with the order (counters kept on the order row)."""
    ensure_wrk()
    url, database = await fresh_database("http_large")
    try:
        small = await _order(database, SMALL_ORDER)
        started = time.perf_counter()
        large = await _order(database, LARGE_ORDER)
        setup = time.perf_counter() - started
    finally:
        await database.dispose()
    with TemporaryDirectory() as folder:
        home = Path(folder).resolve()
        token = _token(home)
        async with _orderdesk(home, url) as ours:
            await _expect_generated(ours, token, small, SMALL_ORDER)
            await _expect_generated(ours, token, large, LARGE_ORDER)
            small_url = f"{ours}{_API}/{small}/status"
            large_url = f"{ours}{_API}/{large}/status"
            await _warm_up(token, large_url, small_url)
            large_runs, small_runs = await _flat_out(rounds, seconds, token, large_url, small_url)
    return Comparison(
        title=f"Status read of a {LARGE_ORDER:,}-notification order, 1 worker",
        unit="req/s",
        ours=[result.requests_per_second for result in large_runs],
        baseline=[result.requests_per_second for result in small_runs],
        baseline_name=f"the same read, {SMALL_ORDER}-notification order",
        target=0.9,
        notes=(
            f"Both orders registered through the service and expanded by the worker's code"
            f" (`process_order`; {LARGE_ORDER:,} recipients in {setup:.0f} s), one server for both."
            f" p99: large {_median(large_runs, lambda r: r.p99_ms):.1f} ms, small"
            f" {_median(small_runs, lambda r: r.p99_ms):.1f} ms. wrk 4.1 `{wrk_flags(seconds)}`,"
            f" {_rounds(rounds)} taking turns; `orderdesk serve --no-worker` on PostgreSQL."
            + _unanswered(large=large_runs, small=small_runs)
        ),
    )


async def intake(rounds: int = ROUNDS, seconds: int = SECONDS) -> Comparison:
    """`POST …/orders/email` with one recipient against the baseline's one INSERT, 1 worker each."""
    ensure_wrk()
    url, database = await fresh_database("http_intake")
    await database.dispose()
    await _create_baseline_table(url)
    with TemporaryDirectory() as folder:
        home = Path(folder).resolve()
        token = _token(home)
        async with AsyncExitStack() as servers:
            ours = await servers.enter_async_context(_orderdesk(home, url))
            base = await servers.enter_async_context(_baseline(home, url))
            ours_url = f"{ours}{_API}/email"
            base_url = f"{base}/orders/email"
            await _warm_up(token, ours_url, base_url, script="intake.lua")
            ours_runs, base_runs = await _flat_out(
                rounds, seconds, token, ours_url, base_url, script="intake.lua"
            )
    return Comparison(
        title="Order intake (`POST …/orders/email`, 1 recipient), 1 worker",
        unit="req/s",
        ours=[result.requests_per_second for result in ours_runs],
        baseline=[result.requests_per_second for result in base_runs],
        baseline_name="FastAPI + one asyncpg INSERT",
        target=0.6,
        shortfall=INTAKE_SHORTFALL,
        notes=(
            f"`-s bench/wrk/intake.lua` (the same JSON body to both). {_how(seconds, rounds, 1)}"
            " orderdesk authenticates, validates, inserts the order (autocommitted: one row) and"
            " announces it to the workers (none run); the baseline parses the JSON and inserts it"
            " into a table of its own"
            f" (primary key only). p99: orderdesk {_median(ours_runs, lambda r: r.p99_ms):.1f} ms,"
            f" baseline {_median(base_runs, lambda r: r.p99_ms):.1f} ms."
            + _unanswered(orderdesk=ours_runs, baseline=base_runs)
        ),
    )


async def sqlite_mode(rounds: int = ROUNDS, seconds: int = SECONDS) -> list[Comparison]:
    """Status read and intake on the embedded SQLite default against the same on PostgreSQL."""
    ensure_wrk()
    url, database = await fresh_database("http_sqlite")
    try:
        postgres_order = await _order(database, SMALL_ORDER)
    finally:
        await database.dispose()
    with TemporaryDirectory() as folder:
        home = Path(folder).resolve()
        sqlite = Database.from_url(Settings(home=home).database_url)
        try:
            await runner.upgrade(sqlite)
            sqlite_order = await _order(sqlite, SMALL_ORDER)
        finally:
            await sqlite.dispose()
        token = _token(home)
        async with AsyncExitStack() as servers:
            on_sqlite = await servers.enter_async_context(_orderdesk(home, None))
            on_postgres = await servers.enter_async_context(_orderdesk(home, url))
            status = (
                f"{on_sqlite}{_API}/{sqlite_order}/status",
                f"{on_postgres}{_API}/{postgres_order}/status",
            )
            posts = (f"{on_sqlite}{_API}/email", f"{on_postgres}{_API}/email")
            await _warm_up(token, *status)
            await _warm_up(token, *posts, script="intake.lua")
            status_runs = await _flat_out(rounds, seconds, token, status[0], status[1])
            intake_runs = await _flat_out(rounds, seconds, token, posts[0], posts[1], script="intake.lua")
    how = (
        f"Both `orderdesk serve --no-worker` (1 worker) on one home, one with ORDERDESK_DATABASE_URL"
        f" unset (the SQLite file in the home, WAL). wrk 4.1 `{wrk_flags(seconds)}`, {_rounds(rounds)}"
        " taking turns."
    )
    return [
        _sqlite_comparison("Status read (10 notifications)", status_runs, how),
        _sqlite_comparison("Order intake (1 recipient, `-s bench/wrk/intake.lua`)", intake_runs, how),
    ]


def _sqlite_comparison(what: str, runs: tuple[list[WrkResult], list[WrkResult]], how: str) -> Comparison:
    on_sqlite, on_postgres = runs
    return Comparison(
        title=f"SQLite mode: {what}, orderdesk on SQLite against orderdesk on PostgreSQL",
        unit="req/s",
        ours=[result.requests_per_second for result in on_sqlite],
        baseline=[result.requests_per_second for result in on_postgres],
        baseline_name="orderdesk on PostgreSQL",
        target=None,
        notes=(
            f"{how} p99: SQLite {_median(on_sqlite, lambda r: r.p99_ms):.1f} ms, PostgreSQL"
            f" {_median(on_postgres, lambda r: r.p99_ms):.1f} ms."
            + _unanswered(sqlite=on_sqlite, postgres=on_postgres)
        ),
    )


SCENARIOS: dict[str, Callable[[int, int], Awaitable[Comparison | list[Comparison]]]] = {
    "status_read": status_read,
    "status_read_large": status_read_large,
    "intake": intake,
    "sqlite_mode": sqlite_mode,
}


def main() -> None:
    parser = argparse.ArgumentParser(description="The HTTP scenarios alone; prints, writes nothing.")
    parser.add_argument("--duration", type=int, default=SECONDS, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("names", nargs="*", default=list(SCENARIOS), help=", ".join(SCENARIOS))
    options = parser.parse_args()

    async def run() -> None:
        for name in options.names:
            started = time.perf_counter()
            result = await SCENARIOS[name](options.rounds, options.duration)
            for comparison in result if isinstance(result, list) else [result]:
                print(comparison.markdown(), "", sep="\n", flush=True)
            print(f"bench: {name} took {time.perf_counter() - started:.0f} s", flush=True)

    asyncio.run(run())


if __name__ == "__main__":
    main()
