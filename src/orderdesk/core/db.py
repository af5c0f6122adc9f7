"""Engine creation, table metadata and the column types that behave alike on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager as AsyncContextManager
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any, cast

from sqlalchemy import (
    Column,
    DateTime,
    Executable,
    MetaData,
    Table,
    delete,
    event,
    func,
    literal,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.types import TypeDecorator
from sqlalchemy.util import greenlet_spawn

from orderdesk.core.driver_lane import DriverLane
from orderdesk.core.errors import DatabaseUnavailable

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


APPLICATION_NAME = "orderdesk"
"""How orderdesk's connections are named in pg_stat_activity (to count or find them)."""


def create_engine(
    url: str,
    *,
    pool_size: int = 5,
    pool_timeout: float = 10.0,
    echo: bool = False,
    autocommit: bool = False,
) -> AsyncEngine:
    """Make the async engine; SQLite gets WAL, foreign keys and a busy timeout so readers never block.

    On PostgreSQL the engine opens at most `pool_size` connections, never more for a burst: a burst
    waits up to `pool_timeout` seconds for one, then fails with DatabaseUnavailable (a 503), where
    opening more would push the server past its max_connections for every process. An `autocommit`
    engine runs each statement on its own, for Database.read(); its connections are set so once."""
    if is_sqlite(url):
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_async_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=0,
        pool_timeout=pool_timeout,
        pool_recycle=RECYCLE_SECONDS,
        connect_args={"server_settings": {"application_name": APPLICATION_NAME}},
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


async def delete_oldest(
    connection: AsyncConnection, key: Column[Any], when: Column[Any], before: datetime, batch: int
) -> int:
    """Delete up to `batch` rows of `key`'s table whose `when` is before `before`, oldest first (found
    through an index on `when`); how many went. A full batch: there may be more, for a short
    transaction of its own, so that a large backlog never makes one long one."""
    doomed = select(key).where(when < before).order_by(when).limit(batch)
    result = await connection.execute(delete(key.table).where(key.in_(doomed.scalar_subquery())))
    return int(result.rowcount)


@dataclass(frozen=True, slots=True)
class Tally:
    """How many rows: counted (`exact`), or past the counting cap PostgreSQL's estimate, which is
    cap + 1 ("more than the cap") when its statistics have none."""

    count: int
    exact: bool


async def tally_by(
    connection: AsyncConnection, column: Column[str], values: Sequence[str], cap: int
) -> dict[str, Tally]:
    """How many rows have each of `values` in `column` (a status), at a cost that does not grow with
    the table: one statement of index range reads, each stopping after `cap` + 1 entries (the column
    must lead an index). Past the cap, PostgreSQL's estimate from the statistics ANALYZE keeps (one
    more statement); SQLite counts."""
    counted = [
        select(func.count())
        .select_from(select(literal(1)).where(column == value).limit(cap + 1).subquery())
        .scalar_subquery()
        for value in values
    ]
    row = (await connection.execute(select(*counted))).one() if values else ()
    counts = dict(zip(values, row, strict=True))
    beyond = [value for value, count in counts.items() if count > cap]
    if beyond and connection.dialect.name == "postgresql":
        estimates = await _estimates(connection, column)
        return {
            value: Tally(count, True) if count <= cap else Tally(max(cap + 1, estimates.get(value, 0)), False)
            for value, count in counts.items()
        }
    for value in beyond:
        statement = select(func.count()).select_from(column.table).where(column == value)
        counts[value] = int((await connection.execute(statement)).scalar_one())
    return {value: Tally(count, True) for value, count in counts.items()}


_STATISTICS = text(
    """
    SELECT array_to_json(s.most_common_vals) AS vals, s.most_common_freqs AS freqs, c.reltuples
    FROM pg_class AS c
    LEFT JOIN pg_stats AS s
        ON s.schemaname = current_schema() AND s.tablename = c.relname AND s.attname = :column
    WHERE c.oid = to_regclass(:table)
    """
)


async def _estimates(connection: AsyncConnection, column: Column[str]) -> dict[str, int]:
    """Rows per value of `column` as PostgreSQL's statistics have them: its most common values'
    frequencies times the table's row count, both as of the last ANALYZE (none before one)."""
    table = column.table
    assert isinstance(table, Table)
    row = (await connection.execute(_STATISTICS, {"column": column.name, "table": table.name})).first()
    if row is None or row.vals is None or row.reltuples <= 0:
        return {}
    values = json.loads(row.vals) if isinstance(row.vals, str) else row.vals
    return {str(value): round(freq * row.reltuples) for value, freq in zip(values, row.freqs, strict=True)}


class Database:
    """The engines and the one way to get a transaction: the edge (request, command, task step) owns it.

    On PostgreSQL, single-statement reads have an engine of their own in autocommit: no BEGIN and
    COMMIT round trips, and no switching of a pooled connection's isolation level at every checkout
    and return (which alone cost a status read a fifth of its CPU time). SQLite's driver begins
    no transaction for a read, so there one engine serves both."""

    def __init__(
        self, engine: AsyncEngine, autocommit: AsyncEngine | None = None, lane: DriverLane | None = None
    ) -> None:
        self.engine = engine
        self._autocommit = autocommit or engine.execution_options(isolation_level="AUTOCOMMIT")
        self._reader = autocommit or engine
        self._lane = lane

    @classmethod
    def from_url(
        cls, url: str, *, pool_size: int = 10, pool_timeout: float = 10.0, echo: bool = False
    ) -> Database:
        """`pool_size` is every connection this process may open (PostgreSQL): its API and its
        workers share them, half for transactions and half outside any: of those, from four on,
        all but one lent to statements the driver runs itself (`fetch_one`: status reads, order
        intake, which hold a connection through their commit), one for SQLAlchemy's single
        statements (`read`, `autocommit`). With half of the outside share lent, order intake
        waited for a connection often enough to cost a seventh of its throughput."""
        if is_sqlite(url):
            return cls(create_engine(url, echo=echo))
        outside = max(1, pool_size // 2)
        transactions = max(1, pool_size - outside)
        lent = outside - 1 if outside >= 2 else 0
        readers = outside - lent
        lane = None
        if lent:
            lane_engine = create_engine(
                url, pool_size=lent, pool_timeout=pool_timeout, echo=echo, autocommit=True
            )
            lane = DriverLane(lane_engine, lent, pool_timeout, RECYCLE_SECONDS)
        return cls(
            create_engine(url, pool_size=transactions, pool_timeout=pool_timeout, echo=echo),
            create_engine(url, pool_size=readers, pool_timeout=pool_timeout, echo=echo, autocommit=True),
            lane,
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def lane(self) -> DriverLane | None:
        """The connections lent to statements the driver runs itself (PostgreSQL, from a pool of four)."""
        return self._lane

    @property
    def engines(self) -> tuple[AsyncEngine, ...]:
        """Every engine, the transactional one first (for event listeners that must see all
        statements)."""
        lane = (self._lane.engine,) if self._lane is not None else ()
        return (self.engine,) if self._reader is self.engine else (self.engine, self._reader, *lane)

    def transaction(self) -> AsyncContextManager[AsyncConnection]:
        """A connection in a transaction, committed when the block ends without an error.

        Raises DatabaseUnavailable when the database refuses the connection (as read() and
        autocommit() do)."""
        return _committing(_opened(self.engine.begin()))

    def read(self) -> AsyncContextManager[AsyncConnection]:
        """A connection for a read that is one statement (a status read), outside any transaction:
        one statement sees one snapshot anyway. Reads of several statements that must agree, and
        anything that writes, use transaction()."""
        return _opened(self._reader.connect())

    async def fetch_one(self, statement: Executable, params: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """The first row of one statement built once (a module constant), by column name, outside
        any transaction: a read, or on PostgreSQL a write that is one statement (it commits alone).

        On PostgreSQL the statement is compiled once and run by the driver itself on a pooled
        connection: SQLAlchemy's execution (parameter and result processing, its greenlet hops) cost
        a status read more CPU time than all the rest of its request. So values go in as asyncpg
        takes them and come out as it gives them: select no column whose type processes values
        (JSON, UTCDateTime is fine: asyncpg's timestamptz is already aware UTC)."""
        if self._reader is self.engine:
            async with self.read() as connection:
                row = (await connection.execute(statement, params)).first()
            return cast(Mapping[str, Any], row._mapping) if row is not None else None
        if self._lane is not None:
            compiled = compiled_for_driver(statement, self._reader.dialect)
            record: Mapping[str, Any] | None = await self._lane.fetchrow(
                compiled.sql, compiled.arguments(params)
            )
            return record
        # The pool's connection itself, without SQLAlchemy's Connection around it: its opening, its
        # hand-over of the driver's connection and its closing were a twentieth of a status read.
        try:
            pooled = await greenlet_spawn(self._reader.sync_engine.raw_connection)
        except (DBAPIError, OSError, PoolTimeout) as error:
            raise DatabaseUnavailable() from error
        try:
            return await _fetchrow(pooled.driver_connection, self._reader.dialect, statement, params)
        finally:
            await greenlet_spawn(pooled.close)

    def atomic_write(self) -> AsyncContextManager[AsyncConnection]:
        """A connection for a write its repository makes atomic: on PostgreSQL in one statement
        (data-modifying CTEs), so autocommit, without BEGIN and COMMIT round trips; SQLite has no
        such statements, so there a transaction holds the repository's several."""
        return self.autocommit() if self.dialect == "postgresql" else self.transaction()

    def autocommit(self) -> AsyncContextManager[AsyncConnection]:
        """A connection whose every statement commits on its own, also a write (a rate-limit count
        that must stand whatever becomes of the request)."""
        return _opened(self._autocommit.connect())

    async def dispose(self) -> None:
        if self._lane is not None:
            await self._lane.close()
        for engine in self.engines:
            await engine.dispose()


_AFTER_COMMIT: dict[AsyncConnection, list[Callable[[], None]]] = {}
"""What each open `Database.transaction()` is to do once it has committed."""


def on_commit(connection: AsyncConnection, callback: Callable[[], None]) -> None:
    """Call `callback` once the transaction of `connection` has committed, and never if it rolls back.

    Only a `Database.transaction()` defers it; on any other connection (autocommit, where each
    statement commits on its own) the statements so far have committed, so it is called at once."""
    owed = _AFTER_COMMIT.get(connection)
    if owed is None:
        callback()
    else:
        owed.append(callback)


@asynccontextmanager
async def _committing(opening: AsyncContextManager[AsyncConnection]) -> AsyncIterator[AsyncConnection]:
    """`opening`'s transaction, then what `on_commit` asked for, only once the commit has succeeded."""
    owed: list[Callable[[], None]] = []
    async with opening as connection:
        _AFTER_COMMIT[connection] = owed
        try:
            yield connection
        finally:
            del _AFTER_COMMIT[connection]
    for callback in owed:
        callback()


@dataclass(frozen=True, slots=True)
class DriverStatement:
    """A statement compiled for its driver: the SQL in `$n` style, its parameters' names in order, and
    the values the statement binds itself (literals such as a NOTIFY channel)."""

    sql: str
    names: tuple[str, ...]
    bound: Mapping[str, Any]

    def arguments(self, params: Mapping[str, Any]) -> list[Any]:
        return [params[name] if name in params else self.bound[name] for name in self.names]


_DRIVER_STATEMENTS: dict[tuple[Executable, str], DriverStatement] = {}


def compiled_for_driver(statement: Executable, dialect: Dialect) -> DriverStatement:
    """`statement` compiled once per statement (a module constant) and dialect."""
    key = (statement, dialect.name)
    compiled = _DRIVER_STATEMENTS.get(key)
    if compiled is None:
        sql = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
        compiled = DriverStatement(sql.string, tuple(sql.positiontup or ()), dict(sql.params))
        _DRIVER_STATEMENTS[key] = compiled
    return compiled


async def driver_fetchrow(
    connection: AsyncConnection, statement: Executable, params: Mapping[str, Any]
) -> Mapping[str, Any] | None:
    """The first row of `statement` run by asyncpg itself on the connection (PostgreSQL only), in
    whatever transaction the connection is in.

    For the hottest writes: SQLAlchemy's execution (bind and result processing, its greenlet hops)
    costs more than the driver's. Values go in as asyncpg takes them (JSON as text, aware datetimes,
    UUIDs) and the row comes out as asyncpg gives it; the driver's errors are its own, which
    `refused_connection` knows."""
    raw = await connection.get_raw_connection()
    return await _fetchrow(raw.driver_connection, connection.dialect, statement, params)


async def _fetchrow(
    driver: Any, dialect: Dialect, statement: Executable, params: Mapping[str, Any]
) -> Mapping[str, Any] | None:
    """`statement`, compiled once, run by the driver's own connection (asyncpg's `fetchrow`)."""
    compiled = compiled_for_driver(statement, dialect)
    record: Mapping[str, Any] | None = await driver.fetchrow(compiled.sql, *compiled.arguments(params))
    return record


@asynccontextmanager
async def _opened(opening: AsyncContextManager[AsyncConnection]) -> AsyncIterator[AsyncConnection]:
    """The connection `opening` gives, with a refusal to open it raised as DatabaseUnavailable.

    Only the opening is translated: an error inside the block is the caller's, whatever it is."""
    try:
        connection = await opening.__aenter__()
    except (DBAPIError, OSError, PoolTimeout) as error:
        raise DatabaseUnavailable() from error
    try:
        yield connection
    except BaseException as error:
        if not await opening.__aexit__(type(error), error, error.__traceback__):
            raise
    else:
        await opening.__aexit__(None, None, None)


_REFUSING_SQLSTATES = frozenset({"53300", "57P01", "57P02", "57P03"})
"""Too many connections, and the server shutting down or starting up; class 08 (connection
exceptions) is matched by its prefix."""


def refused_connection(error: BaseException) -> bool:
    """Whether `error` (raised anywhere in a request) means the database is out of reach, not that
    the request was wrong: a refusal to connect, a connection lost, a pool with none free in time."""
    if isinstance(error, DatabaseUnavailable | PoolTimeout | OSError):
        return True
    if isinstance(error, DBAPIError):
        if error.connection_invalidated:
            return True
        error = error.orig or error
    # The driver's own errors (statements asyncpg runs itself) carry their SQLSTATE too: a connection
    # lost mid-statement is 08003.
    sqlstate = str(getattr(error, "sqlstate", "") or "")
    return sqlstate.startswith("08") or sqlstate in _REFUSING_SQLSTATES


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
    async with _opened(database.engine.connect()) as connection:
        await connection.execute(text("SELECT 1"))
