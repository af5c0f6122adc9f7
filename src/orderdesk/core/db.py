"""Engine creation, table metadata and the column types that behave alike on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager as AsyncContextManager
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import DateTime, MetaData, Select, Table, event, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend.

    SQLite has no time zone type, so values are stored as naive UTC there and made aware on the way
    out; PostgreSQL uses timestamptz.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def create_engine(
    url: str, *, pool_size: int = 10, echo: bool = False, autocommit: bool = False
) -> AsyncEngine:
    """Make the async engine; SQLite gets WAL, foreign keys and a busy timeout so readers never block.

    An `autocommit` engine (PostgreSQL) runs each statement on its own, for Database.read(); its
    connections are set so once, when opened, and it keeps `pool_size` of them with no burst beyond."""
    if is_sqlite(url):
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_async_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=0 if autocommit else pool_size,
        pool_recycle=RECYCLE_SECONDS,
        **({"isolation_level": "AUTOCOMMIT"} if autocommit else {}),
    )
    event.listen(engine.sync_engine, "checkout", _refuse_closed_connection)
    return engine


RECYCLE_SECONDS = 1800
"""Pooled PostgreSQL connections are replaced after half an hour, before a firewall or proxy that
drops idle connections silently could have done so."""


def _refuse_closed_connection(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Hand out no pooled connection the server has closed (a restart, an administrator's
    pg_terminate_backend, an idle timeout): the pool then opens a fresh one.

    This replaces SQLAlchemy's pre-ping, which costs three round trips (BEGIN, an empty query,
    ROLLBACK) on every checkout, twice what a status read itself needs: asyncpg already learns from
    the socket that the server went away, so asking it costs nothing."""
    driver = getattr(dbapi_connection, "driver_connection", None)
    if driver is not None and driver.is_closed():
        raise DisconnectionError("the server closed this pooled connection")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def insert_for(connection: AsyncConnection, table: Table) -> Any:
    """An INSERT that knows ON CONFLICT: the dialect's own construct (SQLite and PostgreSQL alike)."""
    insert_fn = sqlite_insert if connection.dialect.name == "sqlite" else postgresql_insert
    return insert_fn(table)


async def upsert(
    connection: AsyncConnection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    key_columns: Sequence[str],
    batch_size: int = 500,
    *,
    keep: Sequence[str] = (),
) -> None:
    """Insert rows, updating those whose key already exists (except the `keep` columns, such as a
    surrogate id); multi-row statements in batches."""
    if not rows:
        return
    untouched = {*key_columns, *keep}
    for start in range(0, len(rows), batch_size):
        statement = insert_for(connection, table).values(list(rows[start : start + batch_size]))
        updated = {name: statement.excluded[name] for name in rows[0] if name not in untouched}
        await connection.execute(
            statement.on_conflict_do_update(index_elements=list(key_columns), set_=updated)
        )


async def bulk_insert(
    connection: AsyncConnection, table: Table, rows: Sequence[dict[str, Any]], batch_size: int = 1000
) -> None:
    """Insert many rows fast: COPY on PostgreSQL, multi-row executemany batches elsewhere.

    Every row must have the same keys (more than one); COPY runs in the caller's transaction and
    bypasses SQLAlchemy's type processing, so values must already be what the driver takes (aware
    datetimes for UTCDateTime columns).
    """
    if not rows:
        return
    if connection.dialect.name == "postgresql":
        columns = list(rows[0])
        # The driver adapter opens its transaction lazily, at the first statement it runs itself:
        # run one, so that COPY cannot slip outside the caller's transaction.
        await connection.execute(text("SELECT 1"))
        raw = await connection.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None
        values_of = itemgetter(*columns)
        await driver.copy_records_to_table(
            table.name, records=[values_of(row) for row in rows], columns=columns
        )
        return
    for start in range(0, len(rows), batch_size):
        await connection.execute(table.insert(), list(rows[start : start + batch_size]))


class Database:
    """The engines and the one way to get a transaction: the edge (request, command, task step) owns it.

    On PostgreSQL, single-statement reads have an engine of their own in autocommit: no BEGIN and
    COMMIT round trips, and no switching of a pooled connection's isolation level at every checkout
    and return (which alone cost a status read a fifth of its CPU time). SQLite's driver begins
    no transaction for a read, so there one engine serves both."""

    def __init__(self, engine: AsyncEngine, autocommit: AsyncEngine | None = None) -> None:
        self.engine = engine
        self._autocommit = autocommit or engine.execution_options(isolation_level="AUTOCOMMIT")
        self._reader = autocommit or engine
        self._driver_sql: dict[Select[Any], tuple[str, tuple[str, ...]]] = {}

    @classmethod
    def from_url(cls, url: str, *, pool_size: int = 10, echo: bool = False) -> Database:
        engine = create_engine(url, pool_size=pool_size, echo=echo)
        if is_sqlite(url):
            return cls(engine)
        return cls(engine, create_engine(url, pool_size=pool_size, echo=echo, autocommit=True))

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def engines(self) -> tuple[AsyncEngine, ...]:
        """Every engine, the transactional one first (for event listeners that must see all
        statements)."""
        return (self.engine,) if self._reader is self.engine else (self.engine, self._reader)

    def transaction(self) -> AsyncContextManager[AsyncConnection]:
        """A connection in a transaction, committed when the block ends without an error."""
        return self.engine.begin()

    def read(self) -> AsyncContextManager[AsyncConnection]:
        """A connection for a read that is one statement (a status read), outside any transaction:
        one statement sees one snapshot anyway. Reads of several statements that must agree, and
        anything that writes, use transaction()."""
        return self._reader.connect()

    async def fetch_one(self, statement: Select[Any], params: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """The first row of a read of one statement built once (a module constant), by column name.

        On PostgreSQL the statement is compiled once and run by the driver itself on a pooled
        connection: SQLAlchemy's execution (parameter and result processing, its greenlet hops) cost
        a status read more CPU time than all the rest of its request. So values go in as asyncpg
        takes them and come out as it gives them: select no column whose type processes values
        (JSON, UTCDateTime is fine: asyncpg's timestamptz is already aware UTC)."""
        if self._reader is self.engine:
            async with self.read() as connection:
                row = (await connection.execute(statement, params)).first()
            return row._mapping if row is not None else None
        sql, names = self._compiled_for_driver(statement)
        async with self._reader.connect() as connection:
            raw = await connection.get_raw_connection()
            driver: Any = raw.driver_connection
            record: Mapping[str, Any] | None = await driver.fetchrow(sql, *(params[name] for name in names))
        return record

    def _compiled_for_driver(self, statement: Select[Any]) -> tuple[str, tuple[str, ...]]:
        """The statement's SQL in the driver's `$n` style and its parameter names in order."""
        compiled = self._driver_sql.get(statement)
        if compiled is None:
            sql = statement.compile(dialect=self._reader.dialect)
            compiled = (sql.string, tuple(sql.positiontup or ()))
            self._driver_sql[statement] = compiled
        return compiled

    def autocommit(self) -> AsyncContextManager[AsyncConnection]:
        """A connection whose every statement commits on its own, also a write (a rate-limit count
        that must stand whatever becomes of the request)."""
        return self._autocommit.connect()

    async def dispose(self) -> None:
        for engine in self.engines:
            await engine.dispose()


async def lock_for_update(connection: AsyncConnection) -> None:
    """Make what this transaction reads next stay true until it commits, as `FOR UPDATE` does.

    SQLite ignores `FOR UPDATE`, and its driver runs statements outside any transaction until the first
    write, so two transactions could both read a row and both write it (a lost update). `BEGIN
    IMMEDIATE` takes the database's write lock first; once a transaction has written it holds that lock
    already. PostgreSQL needs nothing here: its row locks do this.
    """
    if connection.dialect.name != "sqlite":
        return
    raw = await connection.get_raw_connection()
    driver: Any = raw.driver_connection
    if not driver.in_transaction:
        await connection.exec_driver_sql("BEGIN IMMEDIATE")


async def ping(database: Database) -> None:
    """Raise if the database does not answer a trivial query."""
    async with database.engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
