"""Applying migrations from code, on SQLite and PostgreSQL, safely from several processes at once."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, text

from orderdesk.core.db import Database

_HERE = Path(__file__).parent
# Any fixed number: PostgreSQL serialises migrations of concurrent processes on this advisory lock.
_MIGRATION_LOCK_ID = 7_305_114_200


def alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_HERE))
    config.attributes["connection"] = connection
    return config


async def upgrade(database: Database, revision: str = "head") -> None:
    """Bring the schema to `revision`; a no-op when it is there already."""
    async with database.transaction() as connection:
        if database.dialect == "postgresql":
            await connection.execute(text(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK_ID})"))
        await connection.run_sync(lambda sync: command.upgrade(alembic_config(sync), revision))


async def downgrade(database: Database, revision: str) -> None:
    async with database.transaction() as connection:
        await connection.run_sync(lambda sync: command.downgrade(alembic_config(sync), revision))


async def current_revision(database: Database) -> str | None:
    from alembic.runtime.migration import MigrationContext

    async with database.transaction() as connection:
        return await connection.run_sync(lambda sync: MigrationContext.configure(sync).get_current_revision())
