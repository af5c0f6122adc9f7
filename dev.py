#!/usr/bin/env python3
"""Set up and run orderdesk with nothing but Python 3.11+: `python3 dev.py run`, `python3 dev.py test`
or `python3 dev.py bench`.

Makes a virtual environment in .venv, installs the project into it (again whenever pyproject.toml
changes), then runs the service, the test suite or the benchmarks. Extra arguments go to
`orderdesk serve`, pytest or `python -m bench` (benchmark names).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".orderdesk-installed"


def ensure_environment() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py runs on whatever python3 a newcomer has
        sys.exit(f"orderdesk needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not (BIN / "python").exists():
        print("dev.py: creating the virtual environment in .venv", flush=True)
        try:
            venv.create(VENV, with_pip=True)
        except Exception as error:  # ensurepip missing on some distributions
            sys.exit(f"Could not create .venv ({error}). On Debian/Ubuntu: apt-get install python3-venv")
    print("dev.py: installing orderdesk and its dependencies", flush=True)
    pip = [str(BIN / "python"), "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "install", "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "install", "-e", f"{ROOT}[dev]"], check=True)
    STAMP.write_text(wanted)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("run", "test", "bench"):
        print(__doc__)
        return 2
    ensure_environment()
    command, rest = argv[0], argv[1:]
    if command == "run":
        return subprocess.call([str(BIN / "orderdesk"), "serve", *rest], cwd=ROOT)
    if command == "bench":
        return subprocess.call([str(BIN / "python"), "-m", "bench", *rest], cwd=ROOT)
    for check in (["ruff", "check", "."], ["ruff", "format", "--check", "."], ["mypy"]):
        failed = subprocess.call([str(BIN / check[0]), *check[1:]], cwd=ROOT)
        if failed:
            return failed
    return subprocess.call([str(BIN / "python"), "-m", "pytest", *rest], cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
