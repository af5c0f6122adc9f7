"""`python3 dev.py run` and `orderdesk serve` as a user stops and starts them: stopping dev.py stops
its server (no orphan holding the port), and a port in use is reported before anything starts."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

import dev
from tests.support.processes import orderdesk_env, orderdesk_executable, run_orderdesk
from tests.support.workers import free_port

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads a process's children in /proc"),
]
_DEADLINE_SECONDS = 60.0


def children_of(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(child) for child in text.split()]


def is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for good, only not yet reaped by its parent.
    return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"


def dev_run_serve(home: Path, port: int, *serve_options: str) -> subprocess.Popen[bytes]:
    """`python3 dev.py run` as it runs `orderdesk serve`: its signal forwarding around the real
    command (without dev.py's virtual environment check)."""
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, dev; sys.exit(dev.run_forwarding_signals(sys.argv[1:], dev.ROOT))",
            orderdesk_executable(),
            "serve",
            "--port",
            str(port),
            *serve_options,
        ],
        cwd=dev.ROOT,
        env=orderdesk_env(home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_until_healthy(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + _DEADLINE_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, "the runner ended early"
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail("orderdesk serve never became healthy")


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_dev_run__stopped_by_a_signal__stops_its_server_and_waits_for_it(
    tmp_path: Path, stop: signal.Signals
) -> None:
    home, port = tmp_path / "home", free_port()
    runner = dev_run_serve(home, port)
    try:
        wait_until_healthy(port, runner)
        (server,) = children_of(runner.pid)

        runner.send_signal(stop)
        runner.wait(timeout=_DEADLINE_SECONDS)

        assert not is_running(server)
        with socket.socket() as again:  # the port is free for the next `dev.py run`
            again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            again.bind(("127.0.0.1", port))
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait()


def test_serve__port_in_use__one_line_exit_2_before_migrating_or_starting_workers(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        result = run_orderdesk(home, "serve", "--port", str(port))

    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"127.0.0.1:{port}" in lines[0]
    assert "in use" in lines[0]
    assert not (home / "orderdesk.db").exists()  # nothing ran: no migration, so no worker
