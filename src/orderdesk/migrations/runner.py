"""Applying migrations from code, on SQLite and PostgreSQL, safely from several processes at once."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.core.db import Database

_HERE = Path(__file__).parent
# Any fixed number: PostgreSQL serialises migrations of concurrent processes on this advisory lock.
_MIGRATION_LOCK_ID = 7_305_114_200


def alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_HERE))
    config.attributes["connection"] = connection
    return config


async def _lock_for_migration(connection: AsyncConnection) -> None:
    """Make concurrent migrations of one database (several `orderdesk serve` starting on a fresh home)
    take turns, the later ones finding the work done.

    PostgreSQL: an advisory lock held until the transaction ends. SQLite: the driver would commit
    each DDL statement on its own, so two processes could both find no tables and both create them;
    `BEGIN IMMEDIATE` takes the write lock first (others wait for the busy timeout) and keeps all of
    a migration in one transaction.
    """
    if connection.dialect.name == "postgresql":
        await connection.execute(text(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK_ID})"))
    elif connection.dialect.name == "sqlite":
        await connection.exec_driver_sql("BEGIN IMMEDIATE")


async def upgrade(database: Database, revision: str = "head") -> None:
    """Bring the schema to `revision`; a no-op when it is there already."""
    async with database.transaction() as connection:
        await _lock_for_migration(connection)
        await connection.run_sync(lambda sync: command.upgrade(alembic_config(sync), revision))


async def downgrade(database: Database, revision: str) -> None:
    async with database.transaction() as connection:
        await _lock_for_migration(connection)
        await connection.run_sync(lambda sync: command.downgrade(alembic_config(sync), revision))


async def current_revision(database: Database) -> str | None:
    from alembic.runtime.migration import MigrationContext

    async with database.transaction() as connection:
        return await connection.run_sync(lambda sync: MigrationContext.configure(sync).get_current_revision())


@cache
def head_revision() -> str | None:
    """The newest revision this version of orderdesk ships (read from the scripts once)."""
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(_HERE))
    return ScriptDirectory.from_config(config).get_current_head()
