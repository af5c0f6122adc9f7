"""The statements of the rate-limit counters kept in the database (`purchase_rate_limit`).

Every time is epoch seconds given as an SQL expression: the database's own clock
(`database_now`) or a bound value from an injected one (`fixed_now`)."""

from __future__ import annotations

from sqlalchemy import Float, case, delete, literal, select
from sqlalchemy import cast as sql_cast
from sqlalchemy import func as sql_func
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from orderdesk.core.db import insert_for
from orderdesk.purchases.tables import purchase_rate_limit

Now = ColumnElement[float]
"""The current epoch time as an SQL expression, fixed for the duration of one statement."""


def database_now(dialect: str) -> Now:
    if dialect == "sqlite":
        return sql_cast((sql_func.julianday("now") - 2440587.5) * 86400.0, Float)
    return sql_cast(sql_func.extract("epoch", sql_func.statement_timestamp()), Float)


def fixed_now(epoch_seconds: float) -> Now:
    return literal(epoch_seconds, Float)


async def add_hits(
    connection: AsyncConnection, key: str, amount: int, window_seconds: float, now: Now
) -> tuple[int, float]:
    """Add `amount` to `key` in one atomic upsert, opening a new window when the stored one has ended;
    the hits counted and the seconds left in the window."""
    table = purchase_rate_limit
    statement = insert_for(connection, table).values(key=key, hits=amount, expires_at=now + window_seconds)
    ended = table.c.expires_at <= now
    upsert = statement.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={
            "hits": case((ended, statement.excluded.hits), else_=table.c.hits + statement.excluded.hits),
            "expires_at": case((ended, statement.excluded.expires_at), else_=table.c.expires_at),
        },
    ).returning(table.c.hits, table.c.expires_at - now)
    hits, seconds_left = (await connection.execute(upsert)).one()
    return int(hits), float(seconds_left)


async def get_hits(connection: AsyncConnection, key: str, now: Now) -> int:
    """The hits of `key`'s window; 0 when it has ended or never opened."""
    table = purchase_rate_limit
    statement = select(table.c.hits).where(table.c.key == key, table.c.expires_at > now)
    return int((await connection.execute(statement)).scalar() or 0)


async def get_seconds_left(connection: AsyncConnection, key: str, now: Now) -> float:
    """Seconds until `key`'s window ends; 0 when it has ended or never opened."""
    table = purchase_rate_limit
    statement = select(table.c.expires_at - now).where(table.c.key == key, table.c.expires_at > now)
    return float((await connection.execute(statement)).scalar() or 0.0)


async def delete_all(connection: AsyncConnection) -> int:
    return (await connection.execute(delete(purchase_rate_limit))).rowcount


async def delete_key(connection: AsyncConnection, key: str) -> None:
    await connection.execute(delete(purchase_rate_limit).where(purchase_rate_limit.c.key == key))


async def delete_ended(connection: AsyncConnection, now: Now) -> None:
    """Delete ended windows. SKIP LOCKED: rows an upsert holds are alive anyway, and two processes
    cleaning at once must not wait on (or deadlock with) each other; SQLite has one writer and ignores
    the clause."""
    table = purchase_rate_limit
    ended = select(table.c.key).where(table.c.expires_at <= now).with_for_update(skip_locked=True)
    await connection.execute(delete(table).where(table.c.key.in_(ended)))


async def ping(connection: AsyncConnection) -> None:
    await connection.execute(select(1))
