"""The `orderdesk` command as a user runs it: a real process on a home of its own (SQLite)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from sqlalchemy import func, select

from orderdesk.auth.keys import load_or_create_signing_key
from orderdesk.auth.tokens import (
    APP_CLAIM,
    DEFAULT_AUDIENCES,
    DELIVERY_REPORTS_WRITE_SCOPE,
    KIND_CLAIM,
    NOTIFICATIONS_CREATE_SCOPE,
    ORG_CLAIM,
    TokenKind,
)
from orderdesk.contacts import repository as contacts_repository
from orderdesk.contacts.tables import contact_organization, contact_person
from orderdesk.core.db import Database
from orderdesk.purchases.service.clients import check_secret, stored_secret_hash
from orderdesk.purchases.tables import api_client, purchase_product
from tests.conftest import POSTGRES_URL
from tests.contract.test_migrations import head_revision
from tests.factories import contacts
from tests.support.processes import (
    fresh_postgres_database,
    orderdesk_env,
    orderdesk_executable,
    run_orderdesk,
)

CLI_BACKENDS = ["sqlite", *(["postgres"] if POSTGRES_URL else [])]

pytestmark = pytest.mark.slow  # every test runs `orderdesk` in a subprocess


@pytest.fixture
def cli_home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
async def home_database(cli_home: Path) -> AsyncIterator[Database]:
    """The SQLite file of `cli_home`, read beside the commands that write it."""
    database = Database.from_url(f"sqlite+aiosqlite:///{cli_home / 'orderdesk.db'}")
    yield database
    await database.dispose()


def claims_of(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def write_json(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


async def count_rows(database: Database) -> tuple[int, int]:
    async with database.transaction() as connection:
        persons = (await connection.execute(select(func.count()).select_from(contact_person))).scalar_one()
        organizations = (
            await connection.execute(select(func.count()).select_from(contact_organization))
        ).scalar_one()
    return int(persons), int(organizations)


# ---- migrate --------------------------------------------------------------------------------------


def test_migrate__fresh_home__creates_the_database_at_head(cli_home: Path) -> None:
    result = run_orderdesk(cli_home, "migrate")

    assert result.returncode == 0, result.stderr
    assert f"is at revision {head_revision()}" in result.stdout
    assert (cli_home / "orderdesk.db").exists()


def test_migrate__run_twice__second_run_is_a_no_op(cli_home: Path) -> None:
    assert run_orderdesk(cli_home, "migrate").returncode == 0

    again = run_orderdesk(cli_home, "migrate")

    assert again.returncode == 0, again.stderr
    assert f"is at revision {head_revision()}" in again.stdout


def test_migrate__several_at_once_on_fresh_homes__all_succeed(tmp_path: Path) -> None:
    homes = [tmp_path / f"home-{index}" for index in range(3)]
    processes: list[subprocess.Popen[str]] = []
    for home in homes:
        home.mkdir()
        processes += [
            subprocess.Popen(
                [orderdesk_executable(), "migrate"],
                env=orderdesk_env(home),
                cwd=home,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(4)
        ]

    outcomes = [(process.wait(timeout=120), process.communicate()) for process in processes]

    for returncode, (stdout, stderr) in outcomes:
        assert returncode == 0, stderr
        assert f"is at revision {head_revision()}" in stdout


# ---- token ----------------------------------------------------------------------------------------


def test_token__org__service_owner_bearer_token_signed_by_the_home_key(cli_home: Path) -> None:
    result = run_orderdesk(cli_home, "token", "--org", "ttd")

    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    public_key = load_or_create_signing_key(cli_home / "signing-key.pem").public_key()
    claims = jwt.decode(
        token,
        public_key,  # type: ignore[arg-type]
        algorithms=["ES256"],
        audience=DEFAULT_AUDIENCES[TokenKind.SERVICE_OWNER],
    )
    assert claims["iss"] == "orderdesk"
    assert claims[ORG_CLAIM] == "ttd"
    assert claims["scope"] == NOTIFICATIONS_CREATE_SCOPE
    assert claims[KIND_CLAIM] == "service-owner"
    assert claims["exp"] - claims["iat"] == 3600


def test_token__signing_key__kept_private_in_the_home(cli_home: Path) -> None:
    assert run_orderdesk(cli_home, "token", "--org", "ttd").returncode == 0

    key_file = cli_home / "signing-key.pem"
    assert key_file.stat().st_mode & 0o077 == 0
    assert [path.name for path in cli_home.iterdir() if path.name.startswith(".")] == []


def test_token__same_home_twice__same_signing_key(cli_home: Path) -> None:
    first = run_orderdesk(cli_home, "token", "--org", "ttd").stdout.strip()
    second = run_orderdesk(cli_home, "token", "--org", "ttd").stdout.strip()

    public_key = load_or_create_signing_key(cli_home / "signing-key.pem").public_key()
    for token in (first, second):
        jwt.decode(token, public_key, algorithms=["ES256"], options={"verify_aud": False})  # type: ignore[arg-type]


def test_token__several_scopes_and_a_ttl__all_in_the_claims(cli_home: Path) -> None:
    result = run_orderdesk(
        cli_home, "token", "--org", "ttd", "--scope", "a:one", "--scope", "b:two", "--ttl", "120"
    )

    assert result.returncode == 0, result.stderr
    claims = claims_of(result.stdout.strip())
    assert claims["scope"] == "a:one b:two"
    assert claims["exp"] - claims["iat"] == 120


def test_token__platform__issued_by_the_org(cli_home: Path) -> None:
    result = run_orderdesk(cli_home, "token", "--platform", "--org", "ttd")

    assert result.returncode == 0, result.stderr
    claims = claims_of(result.stdout.strip())
    assert claims["iss"] == "ttd"
    assert "scope" not in claims
    assert ORG_CLAIM not in claims
    assert claims[KIND_CLAIM] == "platform"
    assert claims[APP_CLAIM] == "ttd/orderdesk-cli"


@pytest.mark.parametrize(
    ("args", "kind"),
    [
        (["--org", "ttd"], TokenKind.SERVICE_OWNER),
        (["--org", "mailprovider", "--scope", DELIVERY_REPORTS_WRITE_SCOPE], TokenKind.DELIVERY_REPORT),
        (["--user", "a@b.no"], TokenKind.DATA_USER),
        (["--user", "a@b.no", "--api", "purchases"], TokenKind.PURCHASE_USER),
    ],
    ids=["service-owner", "delivery-report", "data-user", "purchase-user"],
)
def test_token__each_door__names_its_kind_and_audience(
    cli_home: Path, args: list[str], kind: TokenKind
) -> None:
    result = run_orderdesk(cli_home, "token", *args)

    assert result.returncode == 0, result.stderr
    claims = claims_of(result.stdout.strip())
    assert claims[KIND_CLAIM] == kind.value
    assert claims["aud"] == DEFAULT_AUDIENCES[kind]


def test_token__platform_token_of_the_local_issuer__usage_error(cli_home: Path) -> None:
    result = run_orderdesk(cli_home, "token", "--platform", "--org", "orderdesk")

    assert result.returncode == 2
    assert result.stdout == ""
    assert "local issuer" in result.stderr


def test_token__scopes_of_two_doors__usage_error(cli_home: Path) -> None:
    result = run_orderdesk(
        cli_home,
        "token",
        "--org",
        "ttd",
        "--scope",
        NOTIFICATIONS_CREATE_SCOPE,
        "--scope",
        DELIVERY_REPORTS_WRITE_SCOPE,
    )

    assert result.returncode == 2
    assert result.stdout == ""
    assert "one door" in result.stderr


def test_token__user_with_role__user_claims(cli_home: Path) -> None:
    result = run_orderdesk(cli_home, "token", "--user", "a@b.no", "--role", "ADMIN")

    assert result.returncode == 0, result.stderr
    claims = claims_of(result.stdout.strip())
    assert claims["iss"] == "orderdesk"
    assert claims["sub"] == "a@b.no"
    assert claims["email"] == "a@b.no"
    assert claims["role"] == "ADMIN"


def test_token__user_without_role__registered_user(cli_home: Path) -> None:
    result = run_orderdesk(cli_home, "token", "--user", "a@b.no")

    assert claims_of(result.stdout.strip())["role"] == "REGISTERED_USER"


def test_token__unknown_role__usage_error(cli_home: Path) -> None:
    result = run_orderdesk(cli_home, "token", "--user", "a@b.no", "--role", "ROOT")

    assert result.returncode == 2
    assert result.stdout == ""
    assert "--role" in result.stderr


def test_token__neither_org_nor_user__usage_error(cli_home: Path) -> None:
    result = run_orderdesk(cli_home, "token")

    assert result.returncode == 2
    assert result.stdout == ""
    assert "--org" in result.stderr


# ---- contacts import ------------------------------------------------------------------------------


async def test_contacts_import__valid_file__prints_the_counts_and_stores_the_register(
    cli_home: Path, tmp_path: Path, home_database: Database
) -> None:
    file = write_json(tmp_path / "contacts.json", contacts.register())

    result = run_orderdesk(cli_home, "contacts", "import", str(file))

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"persons": 3, "organizations": 1}
    async with home_database.transaction() as connection:
        persons = await contacts_repository.get_persons(connection, [contacts.PERSON_RESERVED])
        organizations = await contacts_repository.get_organizations(connection, [contacts.ORGANIZATION])
    assert persons[contacts.PERSON_RESERVED].reserved is True
    assert persons[contacts.PERSON_RESERVED].email == "kari@example.com"
    assert organizations[contacts.ORGANIZATION].emails == ["post@example.com"]


async def test_contacts_import__national_mobile_numbers__stored_in_e164(
    cli_home: Path, tmp_path: Path, home_database: Database
) -> None:
    document = {"persons": [contacts.person(contacts.PERSON_WITH_EMAIL, mobileNumber="99999999")]}
    file = write_json(tmp_path / "contacts.json", document)

    assert run_orderdesk(cli_home, "contacts", "import", str(file)).returncode == 0

    async with home_database.transaction() as connection:
        persons = await contacts_repository.get_persons(connection, [contacts.PERSON_WITH_EMAIL])
    assert persons[contacts.PERSON_WITH_EMAIL].mobile_number == "+4799999999"


async def test_contacts_import__changed_file_imported_again__updates_in_place(
    cli_home: Path, tmp_path: Path, home_database: Database
) -> None:
    first = write_json(tmp_path / "first.json", contacts.register())
    assert run_orderdesk(cli_home, "contacts", "import", str(first)).returncode == 0
    changed = {
        "persons": [
            contacts.person(contacts.PERSON_WITH_EMAIL, email="new@example.com", reserved=True),
        ],
        "organizations": [contacts.organization(contacts.ORGANIZATION, emails=["ny@example.com"])],
    }
    second = write_json(tmp_path / "second.json", changed)

    result = run_orderdesk(cli_home, "contacts", "import", str(second))

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"persons": 1, "organizations": 1}
    assert await count_rows(home_database) == (3, 1)
    async with home_database.transaction() as connection:
        persons = await contacts_repository.get_persons(
            connection, [contacts.PERSON_WITH_EMAIL, contacts.PERSON_RESERVED]
        )
        organizations = await contacts_repository.get_organizations(connection, [contacts.ORGANIZATION])
    assert persons[contacts.PERSON_WITH_EMAIL].email == "new@example.com"
    assert persons[contacts.PERSON_WITH_EMAIL].reserved is True
    assert persons[contacts.PERSON_RESERVED].email == "kari@example.com"
    assert organizations[contacts.ORGANIZATION].emails == ["ny@example.com"]


async def test_contacts_import__file_with_a_bad_nin__exits_2_names_the_entry_and_imports_nothing(
    cli_home: Path, tmp_path: Path, home_database: Database
) -> None:
    document = contacts.register()
    document["persons"][1]["nationalIdentityNumber"] = "1234"
    file = write_json(tmp_path / "contacts.json", document)

    result = run_orderdesk(cli_home, "contacts", "import", str(file))

    assert result.returncode == 2
    assert result.stdout == ""
    assert "persons[1].nationalIdentityNumber" in result.stderr
    assert "nothing imported" in result.stderr
    assert run_orderdesk(cli_home, "migrate").returncode == 0
    assert await count_rows(home_database) == (0, 0)


@pytest.fixture(params=CLI_BACKENDS)
async def register_database(
    request: pytest.FixtureRequest, cli_home: Path
) -> AsyncIterator[tuple[dict[str, str], Database]]:
    """The environment pointing the command at a database, and that database to read: the home's
    SQLite file, or a PostgreSQL database made afresh."""
    if request.param == "sqlite":
        env: dict[str, str] = {}
        url = f"sqlite+aiosqlite:///{cli_home / 'orderdesk.db'}"
    else:
        url = await fresh_postgres_database(POSTGRES_URL, "cli")
        env = {"ORDERDESK_DATABASE_URL": url}
    database = Database.from_url(url, pool_size=2)
    yield env, database
    await database.dispose()


async def test_contacts_import__same_file_twice_on_each_backend__same_register(
    cli_home: Path, tmp_path: Path, register_database: tuple[dict[str, str], Database]
) -> None:
    env, database = register_database
    file = write_json(tmp_path / "contacts.json", contacts.register())

    first = run_orderdesk(cli_home, "contacts", "import", str(file), env=env)
    second = run_orderdesk(cli_home, "contacts", "import", str(file), env=env)

    assert first.returncode == second.returncode == 0, second.stderr
    assert json.loads(second.stdout) == {"persons": 3, "organizations": 1}
    assert await count_rows(database) == (3, 1)


async def test_contacts_import__one_number_given_twice__exits_2_naming_the_second_entry(
    cli_home: Path, tmp_path: Path, register_database: tuple[dict[str, str], Database]
) -> None:
    env, database = register_database
    document = contacts.register()
    document["persons"].append(contacts.person(contacts.PERSON_WITH_EMAIL, email="other@example.com"))
    document["organizations"].append(contacts.organization(contacts.ORGANIZATION))
    file = write_json(tmp_path / "contacts.json", document)

    result = run_orderdesk(cli_home, "contacts", "import", str(file), env=env)

    assert result.returncode == 2, result.stderr
    assert "persons[3].nationalIdentityNumber" in result.stderr
    assert "organizations[1].organizationNumber" in result.stderr
    assert run_orderdesk(cli_home, "migrate", env=env).returncode == 0
    assert await count_rows(database) == (0, 0)


def test_contacts_import__not_json__exits_2(cli_home: Path, tmp_path: Path) -> None:
    file = tmp_path / "contacts.json"
    file.write_text("{not json", encoding="utf-8")

    result = run_orderdesk(cli_home, "contacts", "import", str(file))

    assert result.returncode == 2
    assert "not a JSON document" in result.stderr


def test_contacts_import__missing_file__usage_error(cli_home: Path, tmp_path: Path) -> None:
    result = run_orderdesk(cli_home, "contacts", "import", str(tmp_path / "absent.json"))

    assert result.returncode == 2
    assert result.stdout == ""


# ---- config show ----------------------------------------------------------------------------------


def test_config_show__defaults__json_with_the_home_and_sqlite_url(cli_home: Path) -> None:
    result = run_orderdesk(cli_home, "config", "show")

    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["home"] == str(cli_home.resolve())
    assert shown["database_url"] == f"sqlite+aiosqlite:///{cli_home.resolve() / 'orderdesk.db'}"


def test_config_show__secrets_set__masked_everywhere(cli_home: Path) -> None:
    secrets = {
        "ORDERDESK_DATABASE_URL": "postgresql+asyncpg://orderdesk:db-s3cret@db.example.com:5432/orderdesk",
        "ORDERDESK_SMTP_PASSWORD": "smtp-s3cret",
        "ORDERDESK_KANNEL_PASSWORD": "kannel-s3cret",
    }

    result = run_orderdesk(cli_home, "config", "show", env=secrets)

    assert result.returncode == 0, result.stderr
    for secret in ("db-s3cret", "smtp-s3cret", "kannel-s3cret"):
        assert secret not in result.stdout
    shown = json.loads(result.stdout)
    assert shown["database_url"] == "postgresql+asyncpg://orderdesk:***@db.example.com:5432/orderdesk"
    assert shown["notifications"]["smtp_password"] == "**********"
    assert shown["notifications"]["kannel_password"] == "**********"


# ---- clients add ----------------------------------------------------------------------------------


async def test_clients_add__prints_id_secret_and_callback_signing_secret__only_the_hash_is_stored(
    cli_home: Path, home_database: Database
) -> None:
    first = run_orderdesk(cli_home, "clients", "add", "Shop A")
    second = run_orderdesk(cli_home, "clients", "add", "Shop B")

    assert (first.returncode, second.returncode) == (0, 0), first.stderr + second.stderr
    one, two = json.loads(first.stdout), json.loads(second.stdout)
    assert set(one) == {"client_id", "client_secret", "callback_signing_secret"}
    assert one["client_id"] != two["client_id"]
    assert one["callback_signing_secret"].startswith("whsec_")
    assert one["callback_signing_secret"] != two["callback_signing_secret"]
    async with home_database.transaction() as connection:
        one_hash = await stored_secret_hash(connection, one["client_id"])
        stored = (await connection.execute(select(api_client.c.secret_hash))).scalars().all()
    assert check_secret(one["client_secret"], one_hash)
    assert not check_secret(two["client_secret"], one_hash)
    assert all(one["client_secret"] not in value for value in stored)


# ---- products import ------------------------------------------------------------------------------

PRODUCTS = {
    "products": [
        {"productSpecType": "coupon", "productSpecCode": "DT", "productSpecNo": 3011, "unitPrice": 149},
        {"productSpecType": "product", "product": "TOTE", "unitPrice": 99.5, "description": "Tote bag"},
    ]
}


async def catalogue(database: Database) -> dict[str, tuple[str, str | None]]:
    async with database.transaction() as connection:
        rows = await connection.execute(
            select(
                purchase_product.c.catalog_key, purchase_product.c.unit_price, purchase_product.c.description
            )
        )
        return {row.catalog_key: (str(row.unit_price), row.description) for row in rows}


async def test_products_import__valid_file__prints_the_count_and_stores_the_catalogue(
    cli_home: Path, tmp_path: Path, home_database: Database
) -> None:
    result = run_orderdesk(cli_home, "products", "import", str(write_json(tmp_path / "p.json", PRODUCTS)))

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"products": 2}
    assert await catalogue(home_database) == {
        "coupon|DT|3011": ("149.00", None),
        "product|TOTE": ("99.50", "Tote bag"),
    }


async def test_products_import__changed_price_imported_again__updated_in_place(
    cli_home: Path, tmp_path: Path, home_database: Database
) -> None:
    run_orderdesk(cli_home, "products", "import", str(write_json(tmp_path / "p.json", PRODUCTS)))
    changed = {"products": [{**PRODUCTS["products"][1], "unitPrice": 89}]}

    result = run_orderdesk(cli_home, "products", "import", str(write_json(tmp_path / "q.json", changed)))

    assert result.returncode == 0, result.stderr
    assert (await catalogue(home_database))["product|TOTE"] == ("89.00", "Tote bag")
    assert len(await catalogue(home_database)) == 2


@pytest.mark.parametrize(
    ("entry", "named"),
    [
        ({"productSpecType": "coupon", "productSpecCode": "DT", "unitPrice": 1}, "productSpecNo"),
        (
            {"productSpecType": "issue", "productSpecCode": "DT", "productSpecNo": 1, "unitPrice": 1},
            "product",
        ),
        ({"productSpecType": "voucher", "product": "X", "unitPrice": 1}, "productSpecType"),
        ({"productSpecType": "product", "product": "X", "unitPrice": 1.005}, "unitPrice"),
        ({"productSpecType": "product", "product": "X"}, "unitPrice"),
    ],
)
async def test_products_import__bad_entry__exits_2_names_it_and_imports_nothing(
    cli_home: Path, tmp_path: Path, home_database: Database, entry: dict[str, Any], named: str
) -> None:
    document = {"products": [PRODUCTS["products"][1], entry]}

    result = run_orderdesk(cli_home, "products", "import", str(write_json(tmp_path / "p.json", document)))

    assert result.returncode == 2
    assert "products.1" in result.stderr
    assert named in result.stderr
    assert await catalogue(home_database) == {}
