#!/usr/bin/env python3
"""Set up and run orderdesk with nothing but Python 3.11+: `python3 dev.py run`, `python3 dev.py test`,
`python3 dev.py bench` or `python3 dev.py lock`.

Makes a virtual environment in .venv, installs the versions pinned in requirements.lock into it and the
project itself (again whenever pyproject.toml or the lock changes), then runs the service, the test
suite or the benchmarks. Extra arguments go to `orderdesk serve`, pytest or `python -m bench`
(benchmark names).

`test` runs ruff, mypy and import-linter (the layer contracts in pyproject.toml) first, then the
whole suite in parallel (pytest-xdist, `-n 3`); given test paths, or `-n`, it leaves the choice of
workers to you. `test --fast …` skips those checks:
`python3 dev.py test --fast tests/unit/test_mime.py::test_x`.
`lock` resolves pyproject.toml's dependencies afresh in a scratch environment and writes
requirements.lock.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".orderdesk-installed"
LOCK = ROOT / "requirements.lock"
WORKERS = "3"  # measured on 2 cores: the tests wait on I/O (servers, subprocesses) much of the time

LOCK_HEADER = """\
# The versions orderdesk and its `dev` extra (with the `redis` and `bench` extras) resolve to, for
# Python 3.11 on Linux. `python3 dev.py` and `.ci/run` install exactly these, then the project itself
# with `--no-deps`. Refresh after changing dependencies in pyproject.toml: `python3 dev.py lock`.
"""


def _bin(directory: Path) -> Path:
    return directory / ("Scripts" if os.name == "nt" else "bin")


def _pip(environment: Path) -> list[str]:
    return [str(_bin(environment) / "python"), "-m", "pip", "--disable-pip-version-check", "-q"]


def _create(environment: Path) -> None:
    try:
        venv.create(environment, with_pip=True)
    except Exception as error:  # ensurepip missing on some distributions
        sys.exit(f"Could not create {environment} ({error}). On Debian/Ubuntu: apt-get install python3-venv")


def ensure_environment() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py runs on whatever python3 a newcomer has
        sys.exit(f"orderdesk needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + LOCK.read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not (BIN / "python").exists():
        print("dev.py: creating the virtual environment in .venv", flush=True)
        _create(VENV)
    print("dev.py: installing orderdesk and its dependencies (requirements.lock)", flush=True)
    pip = _pip(VENV)
    subprocess.run([*pip, "install", "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "install", "-r", str(LOCK)], check=True)
    subprocess.run([*pip, "install", "--no-deps", "-e", str(ROOT)], check=True)
    STAMP.write_text(wanted)


def lock() -> int:
    """Resolve `.[dev]` afresh in a scratch environment and write what it installed to the lock."""
    with tempfile.TemporaryDirectory(prefix="orderdesk-lock-") as scratch:
        environment = Path(scratch) / "venv"
        print("dev.py: resolving pyproject.toml's dependencies in a scratch environment", flush=True)
        _create(environment)
        pip = _pip(environment)
        subprocess.run([*pip, "install", "--upgrade", "pip"], check=True)
        subprocess.run([*pip, "install", f"{ROOT}[dev]"], check=True)
        frozen = subprocess.run(
            [*pip, "freeze", "--exclude-editable"], check=True, capture_output=True, text=True
        ).stdout
    pins = sorted(
        (line for line in frozen.splitlines() if line and not line.lower().startswith("orderdesk")),
        key=str.lower,
    )
    LOCK.write_text(LOCK_HEADER + "\n".join(pins) + "\n")
    print(f"dev.py: wrote {len(pins)} pins to {LOCK.name}")
    return 0


def run_forwarding_signals(command: list[str], cwd: Path) -> int:
    """Run `command` until it ends, passing SIGTERM and SIGINT on to it (SIGHUP as SIGTERM); its exit
    status.

    The child has a process group of its own, so Ctrl-C in a terminal reaches it once, through us
    (a second SIGINT makes uvicorn quit at once, without its graceful shutdown). Stopping dev.py thus
    stops the server and waits for it: no `orderdesk serve` is left holding the port."""
    if os.name == "nt":
        return subprocess.call(command, cwd=cwd)
    child = subprocess.Popen(command, cwd=cwd, process_group=0)
    forwarded = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)

    def forward(signal_number: int, _frame: object) -> None:
        if child.poll() is None:
            # A hang-up means stop here; uvicorn's supervisor (`serve --workers N`) would restart its
            # processes on SIGHUP instead, and the terminal that hung up would wait forever.
            child.send_signal(signal.SIGTERM if signal_number == signal.SIGHUP else signal_number)

    previous = {number: signal.signal(number, forward) for number in forwarded}
    try:
        status = child.wait()
        return 128 - status if status < 0 else status  # ended by signal N: the shell's 128 + N
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        if child.poll() is None:  # we are leaving on an exception of our own: take the child along
            child.terminate()
            child.wait()


def _pytest_arguments(rest: list[str]) -> list[str]:
    """The whole suite runs on WORKERS processes, an idle one taking tests queued for a busy one (the
    long schemathesis and process tests otherwise made a tail of one busy worker); a chosen path or
    worker count is left as given."""
    chooses_workers = any(arg in ("-n", "--numprocesses", "no:xdist") or arg.startswith("-n") for arg in rest)
    names_tests = any(not arg.startswith("-") and (ROOT / arg.split("::")[0]).exists() for arg in rest)
    return rest if chooses_workers or names_tests else ["-n", WORKERS, "--dist", "worksteal", *rest]


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("run", "test", "bench", "lock"):
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    if command == "lock":
        return lock()
    ensure_environment()
    if command == "run":
        return run_forwarding_signals([str(BIN / "orderdesk"), "serve", *rest], ROOT)
    if command == "bench":
        return subprocess.call([str(BIN / "python"), "-m", "bench", *rest], cwd=ROOT)
    fast = "--fast" in rest
    rest = [arg for arg in rest if arg != "--fast"]
    checks = [["ruff", "check", "."], ["ruff", "format", "--check", "."], ["mypy"], ["lint-imports"]]
    checks = [] if fast else checks
    for check in checks:
        failed = subprocess.call([str(BIN / check[0]), *check[1:]], cwd=ROOT)
        if failed:
            return failed
    return subprocess.call([str(BIN / "python"), "-m", "pytest", *_pytest_arguments(rest)], cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
