"""`orderdesk serve --workers N` as a real process: N uvicorn worker processes answer on one port,
one scrape of `/metrics` counts what every one of them served, what the parent decided (the address
links are built on, `--no-worker`) reaches them, and stopping the parent stops them all."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import time
from pathlib import Path

import httpx
import pytest

from tests.factories.notifications import email_order
from tests.integration.test_dev_run import children_of, dev_run_serve, is_running
from tests.integration.test_dev_run import wait_until_healthy as answering
from tests.integration.test_pipeline_processes import until_sent
from tests.integration.test_serve_process import API, mint_token
from tests.support.metrics import scrape
from tests.support.processes import (
    Server,
    run_orderdesk,
    serving,
    wait_until_healthy,
)
from tests.support.workers import free_port

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads a process's children in /proc"),
]

_DEADLINE_SECONDS = 60.0
_STARTED = "Application startup complete"


async def until_all_started(server: Server, processes: int) -> None:
    """Until each worker process has said it serves: the first answers while the others may still be
    starting, and requests sent then would all go to it."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + _DEADLINE_SECONDS
    await wait_until_healthy(server)
    while server.log.read_text().count(_STARTED) < processes:
        if loop.time() > deadline:
            pytest.fail(f"not every worker process started:\n{server.log.read_text()}")
        await asyncio.sleep(0.1)


def still_running(pids: list[int]) -> list[int]:
    """Those of `pids` still running once the ones that are ending have had time to end: besides the
    worker processes (joined before the parent exits) a parent has multiprocessing's resource
    tracker, which ends by itself when the parent has gone."""
    deadline = time.monotonic() + _DEADLINE_SECONDS
    running = [pid for pid in pids if is_running(pid)]
    while running and time.monotonic() < deadline:
        time.sleep(0.1)
        running = [pid for pid in running if is_running(pid)]
    return running


def port_is_free(port: int) -> bool:
    with socket.socket() as again:
        again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            again.bind(("127.0.0.1", port))
        except OSError:
            return False
        again.listen()
    return True


async def test_serve_workers__requests_over_new_connections__one_scrape_counts_every_process(
    tmp_path: Path, database_env: dict[str, str]
) -> None:
    home = tmp_path / "home"
    with serving(home, database_env, "--workers", "2") as server:
        await until_all_started(server, 2)
        # No keep-alive: each request takes a connection of its own, which either process may accept.
        fresh_connections = httpx.Limits(max_keepalive_connections=0)
        async with httpx.AsyncClient(
            base_url=server.base_url, headers=mint_token(home, database_env), limits=fresh_connections
        ) as http:
            answers = await asyncio.gather(*(http.get("/no/such/page") for _ in range(40)))
            assert [answer.status_code for answer in answers] == [404] * 40

            placed = await http.post(
                f"{API}/orders/email",
                json=email_order(requestedSendTime=None, recipients=[{"emailAddress": "a@example.com"}]),
            )
            assert placed.status_code == 202, placed.text
            order_id = placed.json()["orderId"]
            # Links are built on the address served on, as by `serve` with one process.
            assert placed.headers["location"] == f"{server.base_url}{API}/orders/{order_id}"
            # The worker loops run in the worker processes: the order is sent.
            await until_sent(http, order_id, "email", server.log)
            metrics = await scrape(http)

    unmatched = {"route": "unmatched", "method": "GET", "status": "404"}
    assert metrics.value("orderdesk_http_requests_total", **unmatched) == 40
    assert metrics.value("orderdesk_orders_placed_total", family="notifications", type="notification") == 1
    assert metrics.value("orderdesk_notification_transitions_total", channel="email", status="Delivered") == 1
    writers = {path.name.rsplit("_", 1)[-1] for path in (home / "metrics").glob("counter_*.db")}
    assert len(writers) >= 2


async def test_serve_workers__no_worker__the_worker_processes_run_no_worker_loops(
    tmp_path: Path, database_env: dict[str, str]
) -> None:
    home = tmp_path / "home"
    with serving(home, database_env, "--workers", "2", "--no-worker") as server:
        await until_all_started(server, 2)
        async with httpx.AsyncClient(
            base_url=server.base_url, limits=httpx.Limits(max_keepalive_connections=0)
        ) as http:
            answers = await asyncio.gather(*(http.get("/health/ready") for _ in range(6)))
    for answer in answers:
        assert answer.status_code == 200, answer.text
        assert answer.json()["checks"]["workers"] == "not expected"


async def test_serve_workers__sigterm_to_the_parent__every_worker_process_stops_and_the_port_is_free(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    with serving(home, {}, "--workers", "2") as server:
        await until_all_started(server, 2)
        workers = children_of(server.process.pid)
        assert len(workers) >= 2, workers

        server.process.send_signal(signal.SIGTERM)
        status = server.process.wait(timeout=_DEADLINE_SECONDS)

    assert status == 0, server.log.read_text()
    assert not still_running(workers)
    assert port_is_free(int(server.base_url.rsplit(":", 1)[1]))


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_dev_run__serve_workers_stopped_by_a_signal__stops_the_server_and_its_worker_processes(
    tmp_path: Path, stop: signal.Signals
) -> None:
    """SIGHUP too (a terminal hanging up): uvicorn's supervisor would restart its processes on it."""
    home, port = tmp_path / "home", free_port()
    runner = dev_run_serve(home, port, "--workers", "2")
    try:
        answering(port, runner)
        (serve,) = children_of(runner.pid)
        processes = [serve, *children_of(serve)]

        runner.send_signal(stop)
        runner.wait(timeout=_DEADLINE_SECONDS)

        assert not still_running(processes)
        assert port_is_free(port)
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait()


def test_serve_workers__bad_setting__one_line_and_exit_2(tmp_path: Path) -> None:
    result = run_orderdesk(tmp_path / "home", "serve", "--workers", "2", env={"ORDERDESK_SMTP_PORT": "abc"})

    assert result.returncode == 2
    assert result.stderr.splitlines() == ["ORDERDESK_SMTP_PORT: expected an integer, got 'abc'"]
    assert result.stdout == ""


def test_serve_workers__port_in_use__one_line_and_exit_2(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        result = run_orderdesk(tmp_path / "home", "serve", "--port", str(port), "--workers", "2")

    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"127.0.0.1:{port}" in lines[0]
    assert "in use" in lines[0]


def test_serve_workers__app_cannot_be_built__exit_3_without_starting_the_processes_again(
    tmp_path: Path,
) -> None:
    # A signing key the processes cannot read: only building the app reads it (a bad setting, such
    # as a trusted key that is no key, is refused by the parent before any process starts).
    home = tmp_path / "home"
    home.mkdir()
    (home / "signing-key.pem").write_text("not a key\n")

    result = run_orderdesk(home, "serve", "--port", str(free_port()), "--workers", "2")

    assert result.returncode == 3  # uvicorn's "could not start", as `serve` exits with one process
    built = [json.loads(line) for line in result.stderr.splitlines() if '"app_not_built"' in line]
    assert built, result.stderr
    assert all(record["error"] for record in built)
    assert len(built) <= 2  # each worker process tried once: none was started again
