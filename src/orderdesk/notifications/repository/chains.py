"""The statements of order chains: claiming an idempotency id with the chain it names, and reading back
the answer a chain was registered with."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson
from sqlalchemy import (
    JSON,
    Select,
    Text,
    and_,
    bindparam,
    cast,
    column,
    exists,
    func,
    insert,
    literal_column,
    select,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.core import topics
from orderdesk.core.db import Database, driver_fetchrow, insert_for
from orderdesk.core.wakeup import CHANNEL, after_commit, committed_by_statement
from orderdesk.notifications.models import ChainKind, Creator
from orderdesk.notifications.repository.orders import ORDER_COLUMNS, NewOrder, insert_orders
from orderdesk.notifications.tables import notification_order, notification_order_chain


async def insert_chain(
    connection: AsyncConnection,
    *,
    chain_id: UUID,
    creator: Creator,
    kind: ChainKind,
    idempotency_id: str,
    created: datetime,
    receipt: dict[str, Any],
    dialog_id: str | None = None,
    transmission_id: str | None = None,
    orders: Sequence[NewOrder] = (),
) -> bool:
    """Store the chain under its idempotency id, with its `orders`; False, storing nothing, if the
    creator already has a chain of this kind under that id. The unique key decides, not a read before
    the write: on PostgreSQL a concurrent insert of the same id waits for the first to commit or roll
    back.

    On PostgreSQL this is one statement, atomic on a connection in autocommit too (no BEGIN and
    COMMIT round trips: a third of a chain's CPU time); on SQLite it is one per table, and the caller's
    transaction makes them one."""
    chain = _chain_row(chain_id, creator, kind, idempotency_id, created, receipt, dialog_id, transmission_id)
    if connection.dialect.name == "postgresql" and orders:
        params = _chain_with_orders_params(chain, orders)
        claimed = await driver_fetchrow(connection, _CHAIN_WITH_ORDERS, params) is not None
        if claimed:
            await after_commit(connection, topics.NOTIFICATION_ORDERS, notified_by_statement=True)
        return claimed
    claim = (
        insert_for(connection, notification_order_chain)
        .values(chain)
        .on_conflict_do_nothing(index_elements=_IDEMPOTENCY_KEY)
        .returning(notification_order_chain.c.id)
    )
    if (await connection.execute(claim)).first() is None:
        return False
    if orders:
        await insert_orders(connection, orders)
    return True


async def insert_chain_alone(
    database: Database,
    *,
    chain_id: UUID,
    creator: Creator,
    kind: ChainKind,
    idempotency_id: str,
    created: datetime,
    receipt: dict[str, Any],
    dialog_id: str | None,
    transmission_id: str | None,
    orders: Sequence[NewOrder],
) -> bool:
    """`insert_chain` outside any transaction, with at least one order, on PostgreSQL's driver lane
    (`database.lane`): its one statement run on a lent connection (Database.fetch_one), then this
    process's workers woken. A SQLAlchemy connection's checkout and hand-over cost a chain about a
    tenth of its CPU time."""
    chain = _chain_row(chain_id, creator, kind, idempotency_id, created, receipt, dialog_id, transmission_id)
    params = _chain_with_orders_params(chain, orders)
    claimed = await database.fetch_one(_CHAIN_WITH_ORDERS, params) is not None
    if claimed:
        committed_by_statement(database, topics.NOTIFICATION_ORDERS)
    return claimed


def _chain_row(
    chain_id: UUID,
    creator: Creator,
    kind: ChainKind,
    idempotency_id: str,
    created: datetime,
    receipt: dict[str, Any],
    dialog_id: str | None,
    transmission_id: str | None,
) -> dict[str, Any]:
    return {
        "id": chain_id,
        "creator": creator,
        "kind": kind.value,
        "idempotency_id": idempotency_id,
        "created_at": created,
        "receipt": receipt,
        "dialog_id": dialog_id,
        "transmission_id": transmission_id,
    }


def _chain_with_orders_params(chain: dict[str, Any], orders: Sequence[NewOrder]) -> dict[str, Any]:
    """The values of `_CHAIN_WITH_ORDERS` as asyncpg takes them: orjson writes ids and aware times as
    PostgreSQL reads them back into uuid and timestamptz, an eighth of the time `json.dumps` with a
    fallback for them took."""
    rows = orjson.dumps([order.row() for order in orders]).decode()
    return {**chain, "receipt": orjson.dumps(chain["receipt"]).decode(), "orders": rows}


_IDEMPOTENCY_KEY = ["creator", "kind", "idempotency_id"]
_CHAIN_COLUMNS = (
    "id",
    "creator",
    "kind",
    "idempotency_id",
    "created_at",
    "receipt",
    "dialog_id",
    "transmission_id",
)


def _chain_with_orders() -> Select[Any]:
    """The chain and its orders in one statement (PostgreSQL): the orders, given as one JSON array,
    are inserted only if the chain claimed the id, and tell the workers of every process when they
    commit. Data-modifying CTEs each run once, whatever the outer query reads. One parameter for all
    the orders rather than one per column of each: binding 19 values per order was a fifth of a
    chain's CPU time."""
    claimed = (
        postgresql_insert(notification_order_chain)
        .values({name: bindparam(name) for name in _CHAIN_COLUMNS})
        .on_conflict_do_nothing(index_elements=_IDEMPOTENCY_KEY)
        .returning(notification_order_chain.c.id)
        .cte("claimed")
    )
    given = (
        func.json_to_recordset(cast(bindparam("orders", type_=Text), JSON))
        .table_valued(*(column(name, notification_order.c[name].type) for name in ORDER_COLUMNS))
        .render_derived(name="given", with_types=True)
    )
    placed = (
        insert(notification_order)
        .from_select(list(ORDER_COLUMNS), select(given).where(exists(select(claimed.c.id))))
        .returning(literal_column("1"))
        .cte("placed")
    )
    announced = select(func.count(func.pg_notify(CHANNEL, topics.NOTIFICATION_ORDERS))).select_from(placed)
    return select(claimed.c.id, announced.scalar_subquery())


_CHAIN_WITH_ORDERS = _chain_with_orders()


async def get_receipt(
    connection: AsyncConnection, creator: Creator, kind: ChainKind, idempotency_id: str
) -> dict[str, Any] | None:
    """The answer the creator's chain of this kind under this id was registered with, if any."""
    chain = notification_order_chain.c
    result = await connection.execute(
        select(chain.receipt).where(
            and_(chain.creator == creator, chain.kind == kind.value, chain.idempotency_id == idempotency_id)
        )
    )
    receipt: dict[str, Any] | None = result.scalar_one_or_none()
    return receipt
