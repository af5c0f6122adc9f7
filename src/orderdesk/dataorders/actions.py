"""What a user can do to an order after placing it, with the original's status rules: pause (PENDING,
RUNNING), resume (PAUSED, once no sub-order is being staged), delete (finished, PAUSED or EXPIRED),
retry the failed files (DONE_WITH_WARNING, FAILED) and restart as a new order (finished)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.core import topics
from orderdesk.core.wakeup import after_commit
from orderdesk.dataorders import ordering, repository
from orderdesk.dataorders.errors import ActionNotAllowed
from orderdesk.dataorders.models import DataOrder, FileState, OrderStatus, SuborderState
from orderdesk.dataorders.ordering import OrderingRules
from orderdesk.dataorders.staging import refresh_order
from orderdesk.dataorders.tables import data_order, data_order_file, data_suborder

_S = OrderStatus
PAUSABLE = (_S.PENDING, _S.RUNNING)
RESUMABLE = (_S.PAUSED,)
DELETABLE = (_S.DONE, _S.DONE_WITH_WARNING, _S.PAUSED, _S.EXPIRED, _S.FAILED)
RETRYABLE = (_S.DONE_WITH_WARNING, _S.FAILED)
RESTARTABLE = (_S.DONE, _S.DONE_WITH_WARNING, _S.FAILED)
_RETRIED_FILES = (FileState.ERROR.value, FileState.DOWNLOAD_ERROR.value)


async def pause(connection: AsyncConnection, user: str, order_id: int, now: datetime) -> DataOrder:
    """No further sub-order starts; one being staged finishes."""
    await _owned_in(connection, user, order_id, PAUSABLE, "paused")
    await _set_status(connection, order_id, _S.PAUSED, now)
    return await ordering.get_order(connection, user, order_id)


async def resume(connection: AsyncConnection, user: str, order_id: int, now: datetime) -> DataOrder:
    await _owned_in(connection, user, order_id, RESUMABLE, "resumed")
    await _refuse_while_staging(connection, order_id, "resumed")
    await _set_status(connection, order_id, _S.RUNNING, now)
    await refresh_order(connection, order_id, now)
    await after_commit(connection, topics.DATAORDER_STAGING)
    return await ordering.get_order(connection, user, order_id)


async def delete(connection: AsyncConnection, user: str, order_id: int, now: datetime) -> None:
    """DELETED (the row stays, as in the original); the caller removes the staged files."""
    await _owned_in(connection, user, order_id, DELETABLE, "deleted")
    await _refuse_while_staging(connection, order_id, "deleted")
    await close_orders(connection, [order_id], _S.DELETED, now)


async def retry(
    connection: AsyncConnection, user: str, order_id: int, now: datetime, *, suborder_hours: int
) -> DataOrder:
    """Files in ERROR or DOWNLOAD_ERROR are staged again; the order runs again with a new expiry."""
    await _owned_in(connection, user, order_id, RETRYABLE, "retried")
    file = data_order_file.c
    failed = file.state.in_(_RETRIED_FILES)
    suborder_ids = select(file.suborder_id).where(and_(file.order_id == order_id, failed)).scalar_subquery()
    await connection.execute(
        update(data_suborder)
        .where(
            and_(
                data_suborder.c.order_id == order_id,
                data_suborder.c.id.in_(suborder_ids),
                # a STAGED one keeps its slot (its AVAILABLE files still wait for the user); the
                # staging worker takes up its PENDING files as they are
                data_suborder.c.state == SuborderState.ENDED.value,
            )
        )
        .values(state=SuborderState.WAITING.value, due_at=now, lease_token=None)
    )
    await connection.execute(
        update(data_order_file)
        .where(and_(file.order_id == order_id, failed))
        .values(state=FileState.PENDING.value, state_changed_at=now, error=None)
    )
    suborders = await repository.suborder_count(connection, order_id)
    await connection.execute(
        update(data_order)
        .where(data_order.c.id == order_id)
        .values(
            status=_S.RUNNING.value,
            status_changed_at=now,
            expires_at=now + ordering.lifetime(suborders, suborder_hours),
        )
    )
    await refresh_order(connection, order_id, now)
    await after_commit(connection, topics.DATAORDER_STAGING)
    return await ordering.get_order(connection, user, order_id)


async def restart(
    connection: AsyncConnection,
    user: str,
    order_id: int,
    *,
    label: str | None,
    on_success_url: str | None,
    now: datetime,
    rules: OrderingRules,
) -> DataOrder | None:
    """A new order of the same catalogue files (those still catalogued); None if none is."""
    await _owned_in(connection, user, order_id, RESTARTABLE, "restarted")
    files = await repository.catalogue_files_of_order(connection, order_id)
    return await ordering.create_order(
        connection,
        user,
        files,
        label=label,
        on_success_url=on_success_url,
        correlation_id=None,
        suborder_hours=ordering.USER_SUBORDER_HOURS,
        now=now,
        rules=rules,
    )


async def close_orders(
    connection: AsyncConnection, order_ids: Sequence[int], status: OrderStatus, now: datetime
) -> None:
    """DELETED or EXPIRED: every sub-order ENDED (a staging one loses its lease, which frees the
    owner's slots), nothing available any more. The caller removes the staged files after commit."""
    await connection.execute(
        update(data_suborder)
        .where(
            and_(data_suborder.c.order_id.in_(order_ids), data_suborder.c.state != SuborderState.ENDED.value)
        )
        .values(state=SuborderState.ENDED.value, lease_token=None)
    )
    await connection.execute(
        update(data_order)
        .where(data_order.c.id.in_(order_ids))
        .values(status=status.value, status_changed_at=now, available_files=0, waiting_for_user=False)
    )
    await after_commit(connection, topics.DATAORDER_STAGING)  # their slots are free


async def _owned_in(
    connection: AsyncConnection, user: str, order_id: int, allowed: Collection[OrderStatus], action: str
) -> Any:
    """The order row, locked; OrderNotFound as reads, ActionNotAllowed (409) when its status forbids it."""
    row = await ordering.owned_order(connection, user, order_id, lock=True)
    if OrderStatus(row.status) not in allowed:
        values = [status.value for status in allowed]
        names = " or ".join([", ".join(values[:-1]), values[-1]] if len(values) > 1 else values)
        raise ActionNotAllowed(f"Only an order that is {names} can be {action}; this one is {row.status}.")
    return row


async def _refuse_while_staging(connection: AsyncConnection, order_id: int, action: str) -> None:
    staging = await connection.execute(
        select(func.count())
        .select_from(data_suborder)
        .where(
            and_(data_suborder.c.order_id == order_id, data_suborder.c.state == SuborderState.STAGING.value)
        )
    )
    if int(staging.scalar_one()) > 0:
        raise ActionNotAllowed(
            f"A sub-order of this order is still being staged; it can be {action} once that has stopped."
        )


async def _set_status(connection: AsyncConnection, order_id: int, status: OrderStatus, now: datetime) -> None:
    await connection.execute(
        update(data_order)
        .where(data_order.c.id == order_id)
        .values(status=status.value, status_changed_at=now)
    )
