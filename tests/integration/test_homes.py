"""Safe homes: only the commands that run the service create a home; a home belongs to one database,
and a process of another database refuses it rather than taking its files for its own."""

from __future__ import annotations

import json
import subprocess
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from orderdesk.core.db import Database
from orderdesk.dataorders.tasks import ExpiryRules, ExpiryWorker
from tests.conftest import POSTGRES_URL
from tests.support.processes import (
    fresh_postgres_database,
    orderdesk_env,
    orderdesk_executable,
    run_orderdesk,
)

pytestmark = pytest.mark.slow  # the commands run in subprocesses

OTHER_BACKENDS = ["sqlite", *(["postgres"] if POSTGRES_URL else [])]


def run_without_home_setting(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`orderdesk ARGS` as a user runs it from `cwd`, ORDERDESK_HOME unset (the default ./var)."""
    env = orderdesk_env(cwd)
    del env["ORDERDESK_HOME"]
    return subprocess.run(
        [orderdesk_executable(), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(params=OTHER_BACKENDS)
async def other_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database that is not the one a home's SQLite file is: another SQLite file, or PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'elsewhere.db'}"
    return await fresh_postgres_database(POSTGRES_URL, "homes")


@pytest.mark.parametrize(
    "args",
    [
        ["token", "--org", "ttd"],
        ["clients", "add", "shop"],
        ["clients", "list"],
        ["catalog", "list"],
        ["contacts", "show", "310000001"],
    ],
    ids=["token", "clients-add", "clients-list", "catalog-list", "contacts-show"],
)
def test_command_from_a_folder_without_home__exit_2_naming_the_setting_and_creating_nothing(
    tmp_path: Path, args: list[str]
) -> None:
    result = run_without_home_setting(tmp_path, *args)

    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "ORDERDESK_HOME" in lines[0]
    assert str((tmp_path / "var").resolve()) in lines[0]
    assert list(tmp_path.iterdir()) == []


def test_token__home_made_by_migrate__prints_a_token(tmp_path: Path) -> None:
    assert run_without_home_setting(tmp_path, "migrate").returncode == 0

    result = run_without_home_setting(tmp_path, "token", "--org", "ttd")

    assert result.returncode == 0, result.stderr
    assert result.stdout.count(".") == 2  # a JWT


def test_migrate__new_home__records_its_database_without_a_password(tmp_path: Path) -> None:
    home = tmp_path / "home"

    result = run_orderdesk(home, "migrate")

    assert result.returncode == 0, result.stderr
    record = json.loads((home / "home.json").read_text())
    assert record == {"database": f"sqlite:///{(home / 'orderdesk.db').resolve()}"}


@pytest.mark.skipif(not POSTGRES_URL, reason="needs PostgreSQL")
async def test_migrate__postgres_url_with_a_password__recorded_as_host_port_and_name_only(
    tmp_path: Path,
) -> None:
    from sqlalchemy.engine import make_url

    url = make_url(await fresh_postgres_database(POSTGRES_URL, "homes_pw"))
    with_password = url.set(password="s3cret-pw").render_as_string(hide_password=False)
    home = tmp_path / "home"

    result = run_orderdesk(home, "migrate", env={"ORDERDESK_DATABASE_URL": with_password})

    assert result.returncode == 0, result.stderr
    text = (home / "home.json").read_text()
    assert "s3cret-pw" not in text
    assert json.loads(text) == {"database": f"postgresql://{url.host}:{url.port or 5432}/{url.database}"}


@pytest.mark.parametrize("command", ["serve", "worker", "migrate", "clients add shop"])
def test_process_on_another_database__refuses_the_home_in_one_line_naming_both(
    tmp_path: Path, other_database_url: str, command: str
) -> None:
    home = tmp_path / "home"
    assert run_orderdesk(home, "migrate").returncode == 0
    before = sorted(path.name for path in home.iterdir())

    result = run_orderdesk(home, *command.split(), env={"ORDERDESK_DATABASE_URL": other_database_url})

    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "ORDERDESK_HOME" in lines[0]
    assert str((home / "orderdesk.db").resolve()) in lines[0]
    assert other_database_url.split("://", 1)[1].split("@")[-1].split("?")[0] in lines[0]
    assert sorted(path.name for path in home.iterdir()) == before


def test_existing_home_without_record__adopts_the_first_database_run_on_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "signing-key.pem").write_text("kept as it is")

    result = run_orderdesk(home, "migrate")

    assert result.returncode == 0, result.stderr
    assert json.loads((home / "home.json").read_text())["database"].startswith("sqlite:///")
    assert (home / "signing-key.pem").read_text() == "kept as it is"


@pytest.fixture
async def empty_database(other_database_url: str) -> AsyncIterator[Database]:
    """A migrated database that has no data order yet (SQLite or PostgreSQL)."""
    from orderdesk.migrations import runner

    database = Database.from_url(other_database_url, pool_size=2)
    await runner.upgrade(database)
    yield database
    await database.dispose()


async def test_staging_clean_up__folders_of_orders_this_database_never_had__left_untouched(
    tmp_path: Path, empty_database: Database
) -> None:
    area = tmp_path / "home" / "dataorders"
    staged = [area / "2" / "file-a", area / "3" / "file-b"]
    for path in staged:
        path.parent.mkdir(parents=True)
        path.write_bytes(b"another instance's staged data")
    expiry = ExpiryWorker(empty_database, ExpiryRules(area=area), lambda: datetime.now(UTC))

    await expiry.step()

    assert [path.read_bytes() for path in staged] == [b"another instance's staged data"] * 2
