"""The migrations replay to exactly the schema the code declares, and can be undone and replayed, on
SQLite and PostgreSQL; each test has a database of its own, apart from the shared test database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, text

import orderdesk.contacts.tables
import orderdesk.core.heartbeat
import orderdesk.dataorders.tables
import orderdesk.notifications.tables  # noqa: F401  (registers the tables on the metadata)
from orderdesk.core.db import Database, metadata
from orderdesk.migrations import runner
from tests.conftest import POSTGRES_URL
from tests.support.processes import fresh_postgres_database

MIGRATION_BACKENDS = ["sqlite", *(["postgres"] if POSTGRES_URL else [])]


@pytest.fixture(params=MIGRATION_BACKENDS)
async def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A database with no tables at all: a new SQLite file, or a PostgreSQL database made afresh."""
    if request.param == "postgres":
        url = await fresh_postgres_database(POSTGRES_URL, "migrations")
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'migrations.db'}"
    database = Database.from_url(url, pool_size=2)
    yield database
    await database.dispose()


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": True}
    )
    return list(compare_metadata(context, metadata))


async def schema_differences(database: Database) -> list[Any]:
    async with database.transaction() as connection:
        return await connection.run_sync(_differences)


async def table_names(database: Database) -> set[str]:
    async with database.transaction() as connection:
        names: list[str] = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
    return set(names)


def head_revision() -> str:
    config = runner.alembic_config(None)  # type: ignore[arg-type]
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


async def test_upgrade_to_head__schema_matches_the_declared_tables(empty_database: Database) -> None:
    await runner.upgrade(empty_database)

    assert await schema_differences(empty_database) == []
    assert await runner.current_revision(empty_database) == head_revision()
    assert await table_names(empty_database) == {*metadata.tables, "alembic_version"}


async def test_upgrade__already_at_head__changes_nothing(empty_database: Database) -> None:
    await runner.upgrade(empty_database)

    await runner.upgrade(empty_database)

    assert await runner.current_revision(empty_database) == head_revision()
    assert await schema_differences(empty_database) == []


async def test_downgrade_to_base__removes_every_table(empty_database: Database) -> None:
    await runner.upgrade(empty_database)

    await runner.downgrade(empty_database, "base")

    assert await runner.current_revision(empty_database) is None
    assert await table_names(empty_database) == {"alembic_version"}


async def test_downgrade_then_upgrade_again__schema_matches_the_declared_tables(
    empty_database: Database,
) -> None:
    await runner.upgrade(empty_database)
    await runner.downgrade(empty_database, "base")

    await runner.upgrade(empty_database)

    assert await schema_differences(empty_database) == []
    assert await runner.current_revision(empty_database) == head_revision()


async def test_every_revision__downgrades_one_step_at_a_time_and_back(empty_database: Database) -> None:
    script = ScriptDirectory.from_config(runner.alembic_config(None))  # type: ignore[arg-type]
    revisions = [revision.revision for revision in script.walk_revisions("base", "heads")]
    await runner.upgrade(empty_database)

    for revision in revisions:
        await runner.downgrade(empty_database, "-1")
        assert await runner.current_revision(empty_database) != revision
    assert await runner.current_revision(empty_database) is None

    await runner.upgrade(empty_database)
    assert await schema_differences(empty_database) == []


async def test_upgrade__data_in_the_tables__kept(empty_database: Database) -> None:
    await runner.upgrade(empty_database)
    async with empty_database.transaction() as connection:
        await connection.execute(
            text(
                "INSERT INTO contact_person (national_identity_number, reserved, updated_at) "
                "VALUES ('07837399275', false, CURRENT_TIMESTAMP)"
            )
        )

    await runner.upgrade(empty_database)

    async with empty_database.transaction() as connection:
        count = (await connection.execute(text("SELECT count(*) FROM contact_person"))).scalar_one()
    assert count == 1
