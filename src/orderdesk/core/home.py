"""The home folder and the one database it belongs to: `HOME/home.json` records the database's
identity (never its password) so that files in the home (staged data-order files, the outbox, keys)
are only ever touched by processes of that database."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

RECORD_NAME = "home.json"


class HomeRefused(Exception):
    """The home cannot be used by this process; the message is one line for the operator."""


def database_identity(url: str) -> str:
    """Which database `url` names, without driver, user or password: `sqlite:///ABSOLUTE/PATH` for
    a SQLite file, `postgresql://host:port/dbname` for PostgreSQL. Two URLs of the same database with
    other drivers or credentials have the same identity."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        # Not a URL SQLAlchemy reads: the process fails on it later anyway; never echo it (a password).
        return "(unreadable database URL)"
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            database = str(Path(database).expanduser().resolve())
        return f"sqlite:///{database}"
    host = parsed.host or "localhost"
    port = parsed.port or {"postgresql": 5432}.get(backend)
    address = f"{host}:{port}" if port else host
    return f"{backend}://{address}/{parsed.database or ''}"


def require_home(home: Path) -> None:
    """HomeRefused unless `home` is an existing folder: a command that only reads or adds to a home
    must not make a new one (a token signed by a key nobody else has, in a folder nobody serves)."""
    if not home.is_dir():
        raise HomeRefused(
            f"no orderdesk home at {home} (ORDERDESK_HOME, default ./var of the current folder); "
            "set ORDERDESK_HOME to your server's home, or create one with `orderdesk migrate`"
        )


def recorded_database(home: Path) -> str | None:
    """The identity in the home's record; None when there is no record yet."""
    try:
        document = json.loads((home / RECORD_NAME).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise HomeRefused(f"{home / RECORD_NAME} cannot be read ({error}); fix or remove it") from error
    database = document.get("database") if isinstance(document, dict) else None
    if not isinstance(database, str):
        raise HomeRefused(f"{home / RECORD_NAME} names no database; fix or remove it")
    return database


def claim_home(home: Path, database_url: str) -> None:
    """Make sure `home` belongs to the database of `database_url`, creating the home when needed; a
    home without a record (made before records existed, or new) adopts this database.

    HomeRefused when the home belongs to another database: its files are that database's, and this
    process would take them for its own (clean-up removing another instance's staged files as
    unknown, new orders staged into their folders). Safe against several processes claiming a new
    home at once: the record is written whole under a temporary name and linked into place, so
    only one wins and the others read what it wrote."""
    home.mkdir(parents=True, exist_ok=True)
    wanted = database_identity(database_url)
    recorded = recorded_database(home)
    if recorded is None:
        recorded = _write_record(home, wanted)
    if recorded != wanted:
        raise HomeRefused(
            f"ORDERDESK_HOME {home} belongs to database {recorded}, not to {wanted}; "
            "give each database a home of its own (or set ORDERDESK_DATABASE_URL back)"
        )


def _write_record(home: Path, identity: str) -> str:
    """Write the record unless another process did first; the identity the home now has."""
    descriptor, temporary = tempfile.mkstemp(prefix=".home-", suffix=".json", dir=home)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            json.dump({"database": identity}, file)
            file.write("\n")
        with contextlib.suppress(FileExistsError):
            os.link(temporary, home / RECORD_NAME)
    finally:
        os.unlink(temporary)
    recorded = recorded_database(home)
    return recorded if recorded is not None else identity
