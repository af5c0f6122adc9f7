"""The commands that look after what a home's database holds (clients, datasets, contacts), the
version, names refused before anything is stored, and help text that reads cleanly: the real
`orderdesk` in a subprocess, on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import json
import re
import subprocess
from pathlib import Path

import httpx
import pytest

import orderdesk
from tests.factories import contacts
from tests.support.processes import (
    orderdesk_env,
    orderdesk_executable,
    run_orderdesk,
    serving,
    wait_until_healthy,
)
from tests.support.purchases_api import CAPI, order_body, shop_home

pytestmark = pytest.mark.slow  # every test runs `orderdesk` in a subprocess


@pytest.fixture
def cli_home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def json_of(result: subprocess.CompletedProcess[str]) -> object:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def one_line(stderr: str) -> str:
    """The one line a command says on stderr, besides log lines (JSON when not on a terminal)."""
    lines = [line for line in stderr.strip().splitlines() if not is_log_line(line)]
    assert len(lines) == 1, stderr
    return lines[0]


def is_log_line(line: str) -> bool:
    try:
        return "event" in json.loads(line)
    except (ValueError, TypeError):
        return False


# ---- --version ------------------------------------------------------------------------------------


def test_version__prints_the_package_version(cli_home: Path) -> None:
    result = run_orderdesk(cli_home, "--version")

    assert result.returncode == 0, result.stderr
    assert result.stdout == f"orderdesk {orderdesk.__version__}\n"


# ---- clients --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["", "   ", "a\nb", "x" * 201], ids=["empty", "blank", "line-break", "long"])
def test_clients_add__bad_name__exit_2_naming_it_and_nothing_stored(
    cli_home: Path, database_env: dict[str, str], name: str
) -> None:
    result = run_orderdesk(cli_home, "clients", "add", name, env=database_env)

    assert result.returncode == 2
    assert result.stdout == ""
    assert one_line(result.stderr).startswith("NAME: A client name of 1 to 200 characters")
    assert json_of(run_orderdesk(cli_home, "clients", "list", env=database_env)) == []


def test_clients_list__shows_id_name_and_times__never_a_secret(
    cli_home: Path, database_env: dict[str, str]
) -> None:
    added = [
        json_of(run_orderdesk(cli_home, "clients", "add", name, env=database_env)) for name in ("A", "B")
    ]

    result = run_orderdesk(cli_home, "clients", "list", env=database_env)

    listed = json_of(result)
    assert isinstance(listed, list)
    assert [(entry["client_id"], entry["name"]) for entry in listed] == [
        (added[0]["client_id"], "A"),  # type: ignore[index]
        (added[1]["client_id"], "B"),  # type: ignore[index]
    ]
    assert all(set(entry) == {"client_id", "name", "created_at", "revoked_at"} for entry in listed)
    assert all(entry["revoked_at"] is None and entry["created_at"].endswith("Z") for entry in listed)
    for credentials in added:
        assert credentials["client_secret"] not in result.stdout  # type: ignore[index]
        assert credentials["callback_signing_secret"] not in result.stdout  # type: ignore[index]


async def test_clients_revoke__by_name__no_new_token_and_no_order_from_the_old_one(
    tmp_path: Path, database_env: dict[str, str]
) -> None:
    home = tmp_path / "home"
    credentials = shop_home(home, database_env)
    basic = (credentials["client_id"], credentials["client_secret"])
    form = {"grant_type": "client_credentials"}
    with serving(home, database_env, "--no-worker") as server:
        await wait_until_healthy(server)
        async with httpx.AsyncClient(base_url=server.base_url) as http:
            granted = await http.post("/oauth/token", data=form, auth=basic)
            assert granted.status_code == 200, granted.text
            bearer = {"Authorization": f"Bearer {granted.json()['access_token']}"}

            revoked = run_orderdesk(home, "clients", "revoke", "web shop", env=database_env)

            again = await http.post("/oauth/token", data=form, auth=basic)
            order = await http.post(f"{CAPI}/client/order", json=order_body(), headers=bearer)
    shown = json_of(revoked)
    assert isinstance(shown, dict)
    assert shown["client_id"] == credentials["client_id"]
    assert shown["revoked_at"] is not None
    assert again.status_code == 401
    assert order.status_code == 401
    listed = json_of(run_orderdesk(home, "clients", "list", env=database_env))
    assert listed == [shown]


def test_clients_revoke__unknown_client__exit_1_in_one_line(cli_home: Path) -> None:
    assert run_orderdesk(cli_home, "migrate").returncode == 0

    result = run_orderdesk(cli_home, "clients", "revoke", "nobody")

    assert result.returncode == 1
    assert "nobody" in one_line(result.stderr)


def test_clients_revoke__twice__keeps_the_first_time(cli_home: Path) -> None:
    client_id = json_of(run_orderdesk(cli_home, "clients", "add", "shop"))["client_id"]  # type: ignore[index]

    first = json_of(run_orderdesk(cli_home, "clients", "revoke", client_id))
    second = json_of(run_orderdesk(cli_home, "clients", "revoke", client_id))

    assert first == second


# ---- catalog --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["bad name!", "-leading-dash", "a/b", "ds\u00e6"])
def test_catalog_import__name_outside_the_pattern__exit_2_showing_the_pattern(
    cli_home: Path, tmp_path: Path, name: str
) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.txt").write_text("a")

    result = run_orderdesk(cli_home, "catalog", "import", str(tmp_path / "data"), "--dataset", name)

    assert result.returncode == 2
    line = one_line(result.stderr)
    assert line.startswith("--dataset: ")
    assert "[A-Za-z0-9][A-Za-z0-9._-]*" in line
    assert json_of(run_orderdesk(cli_home, "catalog", "list")) == []


def test_catalog_list__datasets_with_their_files_and_bytes(
    cli_home: Path, tmp_path: Path, database_env: dict[str, str]
) -> None:
    folder = tmp_path / "data"
    (folder / "productA").mkdir(parents=True)
    (folder / "productA" / "a1.txt").write_bytes(b"12345")
    (folder / "top.bin").write_bytes(b"123")
    for name in ("ds2", "ds1"):
        imported = run_orderdesk(
            cli_home, "catalog", "import", str(folder), "--dataset", name, env=database_env
        )
        assert imported.returncode == 0, imported.stderr

    listed = json_of(run_orderdesk(cli_home, "catalog", "list", env=database_env))

    assert isinstance(listed, list)
    assert [(entry["name"], entry["files"], entry["bytes"]) for entry in listed] == [
        ("ds1", 2, 8),
        ("ds2", 2, 8),
    ]
    assert listed[0]["location"] == str(folder.resolve())


def test_catalog_remove__gone_from_the_list__a_second_time_exit_1(cli_home: Path, tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.txt").write_text("a")
    for name in ("ds1", "ds2"):
        assert (
            run_orderdesk(cli_home, "catalog", "import", str(tmp_path / "data"), "--dataset", name).returncode
            == 0
        )

    first = run_orderdesk(cli_home, "catalog", "remove", "ds1")
    again = run_orderdesk(cli_home, "catalog", "remove", "ds1")

    assert json_of(first) == {"removed": "ds1"}
    assert again.returncode == 1
    assert "ds1" in one_line(again.stderr)
    listed = json_of(run_orderdesk(cli_home, "catalog", "list"))
    assert isinstance(listed, list)
    assert [entry["name"] for entry in listed] == ["ds2"]


# ---- contacts -------------------------------------------------------------------------------------


def test_contacts_show_and_remove__person_and_organization(
    cli_home: Path, tmp_path: Path, database_env: dict[str, str]
) -> None:
    file = tmp_path / "contacts.json"
    file.write_text(json.dumps(contacts.register()))
    assert run_orderdesk(cli_home, "contacts", "import", str(file), env=database_env).returncode == 0

    person = json_of(run_orderdesk(cli_home, "contacts", "show", contacts.PERSON_RESERVED, env=database_env))
    organization = json_of(
        run_orderdesk(cli_home, "contacts", "show", contacts.ORGANIZATION, env=database_env)
    )
    removed = run_orderdesk(cli_home, "contacts", "remove", contacts.ORGANIZATION, env=database_env)
    shown_after = run_orderdesk(cli_home, "contacts", "show", contacts.ORGANIZATION, env=database_env)
    removed_again = run_orderdesk(cli_home, "contacts", "remove", contacts.ORGANIZATION, env=database_env)

    assert person == {
        "nationalIdentityNumber": contacts.PERSON_RESERVED,
        "name": person["name"],  # type: ignore[index]
        "email": "kari@example.com",
        "mobileNumber": person["mobileNumber"],  # type: ignore[index]
        "reserved": True,
    }
    assert organization["emails"] == ["post@example.com"]  # type: ignore[index]
    assert json_of(removed) == {"removed": contacts.ORGANIZATION}
    assert shown_after.returncode == removed_again.returncode == 1
    assert contacts.ORGANIZATION in one_line(shown_after.stderr)
    assert json_of(run_orderdesk(cli_home, "contacts", "show", contacts.PERSON_RESERVED, env=database_env))


def test_contacts_show__neither_kind_of_number__exit_2(cli_home: Path) -> None:
    assert run_orderdesk(cli_home, "migrate").returncode == 0

    result = run_orderdesk(cli_home, "contacts", "show", "1234")

    assert result.returncode == 2
    assert one_line(result.stderr).startswith("NUMBER: ")


@pytest.mark.parametrize(
    ("entry", "path"),
    [
        ({"emails": "post@example.com"}, "organizations[0].emails"),
        ({"mobileNumbers": "+4799999999"}, "organizations[0].mobileNumbers"),
    ],
)
def test_contacts_import__list_field_not_a_list__named_by_its_full_path(
    cli_home: Path, tmp_path: Path, entry: dict[str, str], path: str
) -> None:
    file = tmp_path / "contacts.json"
    file.write_text(json.dumps({"organizations": [contacts.organization(contacts.ORGANIZATION, **entry)]}))

    result = run_orderdesk(cli_home, "contacts", "import", str(file))

    assert result.returncode == 2
    assert f"  {path}: " in result.stderr


# ---- help text ------------------------------------------------------------------------------------

# ---- operators ------------------------------------------------------------------------------------


def test_operators_add__prints_a_one_time_password_and_the_console_url(
    cli_home: Path, database_env: dict[str, str]
) -> None:
    env = {**database_env, "ORDERDESK_PUBLIC_BASE_URL": "https://desk.example.org"}

    added = json_of(
        run_orderdesk(cli_home, "operators", "add", "Ada@Example.org", "--role", "admin", env=env)
    )

    assert isinstance(added, dict)
    assert added["email"] == "ada@example.org"
    assert added["role"] == "admin"
    assert added["console_url"] == "https://desk.example.org/console/"
    assert len(added["one_time_password"]) >= 16


def test_operators_add__twice__exit_1_in_one_line(cli_home: Path) -> None:
    json_of(run_orderdesk(cli_home, "operators", "add", "ada@example.org", "--role", "viewer"))

    again = run_orderdesk(cli_home, "operators", "add", "ada@example.org", "--role", "admin")

    assert again.returncode == 1
    assert one_line(again.stderr) == "orderdesk: an operator ada@example.org exists already"


@pytest.mark.parametrize("email", ["", "ada", "ada@localhost", "a b@example.org"])
def test_operators_add__bad_address__exit_2_naming_it(cli_home: Path, email: str) -> None:
    result = run_orderdesk(cli_home, "operators", "add", email, "--role", "viewer")

    assert result.returncode == 2
    assert one_line(result.stderr).startswith("EMAIL: An e-mail address")


def test_operators_list__email_role_and_times__never_a_hash_or_password(
    cli_home: Path, database_env: dict[str, str]
) -> None:
    added = json_of(
        run_orderdesk(cli_home, "operators", "add", "b@example.org", "--role", "viewer", env=database_env)
    )
    json_of(run_orderdesk(cli_home, "operators", "add", "a@example.org", "--role", "admin", env=database_env))

    result = run_orderdesk(cli_home, "operators", "list", env=database_env)

    listed = json_of(result)
    assert isinstance(listed, list)
    assert [(entry["email"], entry["role"]) for entry in listed] == [
        ("a@example.org", "admin"),
        ("b@example.org", "viewer"),
    ]
    assert all(set(entry) == {"email", "role", "must_choose_password", "created_at"} for entry in listed)
    assert all(entry["must_choose_password"] is True for entry in listed)
    assert "argon2" not in result.stdout
    assert added["one_time_password"] not in result.stdout  # type: ignore[index]


def test_operators_reset_password__a_new_one_time_password__remove__gone(
    cli_home: Path, database_env: dict[str, str]
) -> None:
    added = json_of(
        run_orderdesk(cli_home, "operators", "add", "a@example.org", "--role", "viewer", env=database_env)
    )

    reset = json_of(run_orderdesk(cli_home, "operators", "reset-password", "a@example.org", env=database_env))
    removed = json_of(run_orderdesk(cli_home, "operators", "remove", "a@example.org", env=database_env))

    assert reset["one_time_password"] != added["one_time_password"]  # type: ignore[index]
    assert reset["console_url"].endswith("/console/")  # type: ignore[index]
    assert removed["email"] == "a@example.org"  # type: ignore[index]
    assert json_of(run_orderdesk(cli_home, "operators", "list", env=database_env)) == []


@pytest.mark.parametrize("command", ["remove", "reset-password"])
def test_operators__unknown_operator__exit_1_in_one_line(cli_home: Path, command: str) -> None:
    json_of(run_orderdesk(cli_home, "operators", "list"))  # makes the home

    result = run_orderdesk(cli_home, "operators", command, "nobody@example.org")

    assert result.returncode == 1
    assert one_line(result.stderr).startswith("orderdesk: no operator 'nobody@example.org'")


COMMANDS = [
    [],
    ["serve"],
    ["worker"],
    ["migrate"],
    ["token"],
    ["contacts", "import"],
    ["contacts", "show"],
    ["contacts", "remove"],
    ["catalog", "import"],
    ["catalog", "list"],
    ["catalog", "remove"],
    ["clients", "add"],
    ["clients", "list"],
    ["clients", "revoke"],
    ["products", "import"],
    ["operators", "add"],
    ["operators", "list"],
    ["operators", "remove"],
    ["operators", "reset-password"],
    ["config", "show"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda command: " ".join(command) or "orderdesk")
def test_help__at_80_columns__sentences_wrapped_whole_and_arguments_in_capitals(
    tmp_path: Path, command: list[str]
) -> None:
    env = {**orderdesk_env(tmp_path), "COLUMNS": "80", "TERM": "dumb", "NO_COLOR": "1"}
    env.pop("FORCE_COLOR", None)
    result = subprocess.run(
        [orderdesk_executable(), *command, "--help"], env=env, cwd=tmp_path, capture_output=True, text=True
    )

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines)
    usage = next(line for line in lines if "Usage:" in line)
    for argument in re.findall(r"\{?([A-Za-z_]+)\}?$", usage.strip().split("[OPTIONS]")[-1]):
        assert argument.isupper(), usage
    prose = [
        line.strip()
        for line in lines
        if line.startswith(" ") and "Usage:" not in line and not line.strip().startswith(("│", "╭", "╰"))
    ]
    # A line broken where its source line ended is far shorter than the terminal, mid-sentence.
    for this, following in itertools.pairwise(prose):
        if this and following and not this.endswith((".", ":", ")")):
            assert len(this) > 50, f"a broken wrap before {following!r}:\n{result.stdout}"
