"""What a user can do to an order after placing it, with the original's status rules: pause (PENDING,
RUNNING), resume (PAUSED, once no sub-order is being staged), delete (finished, PAUSED or EXPIRED),
retry the failed files (DONE_WITH_WARNING, FAILED) and restart as a new order (finished)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.core import topics
from orderdesk.core.wakeup import after_commit
from orderdesk.dataorders.models import DataOrder, OrderRow, OrderStatus, SuborderState
from orderdesk.dataorders.repository import catalogue, files, orders
from orderdesk.dataorders.rules import ordering as ordering_rules
from orderdesk.dataorders.rules.files import RETRIED
from orderdesk.dataorders.rules.ordering import OrderingRules
from orderdesk.dataorders.rules.status import (
    DELETABLE,
    PAUSABLE,
    RESTARTABLE,
    RESUMABLE,
    RETRYABLE,
    check_action,
    check_not_staging,
)
from orderdesk.dataorders.service import events, ordering
from orderdesk.dataorders.service.progress import refresh_order
from orderdesk.dataorders.storage.area import remove_staged_files

_S = OrderStatus


async def pause(connection: AsyncConnection, user: str, order_id: int, now: datetime) -> DataOrder:
    """No further sub-order starts; one being staged finishes."""
    order = await _owned_in(connection, user, order_id, PAUSABLE, "paused")
    await orders.update_status(connection, order_id, _S.PAUSED, now)
    await events.record(connection, [events.status_changed(order, _S.PAUSED, now)])
    return await ordering.get_order(connection, user, order_id)


async def resume(connection: AsyncConnection, user: str, order_id: int, now: datetime) -> DataOrder:
    order = await _owned_in(connection, user, order_id, RESUMABLE, "resumed")
    await _refuse_while_staging(connection, order_id, "resumed")
    await orders.update_status(connection, order_id, _S.RUNNING, now)
    await _running_again(connection, order, now)
    return await ordering.get_order(connection, user, order_id)


async def delete(connection: AsyncConnection, user: str, order_id: int, now: datetime) -> DataOrder:
    """DELETED (the row stays, as in the original); the caller removes the staged files after
    commit (`remove_files`)."""
    order = await _owned_in(connection, user, order_id, DELETABLE, "deleted")
    await _refuse_while_staging(connection, order_id, "deleted")
    await close_orders(connection, [order], _S.DELETED, now)
    return await ordering.get_order(connection, user, order_id)


async def remove_files(area: Path, order_id: int) -> None:
    """Remove the staged files of an order whose DELETED or EXPIRED status is committed."""
    await remove_staged_files(area, order_id)


async def retry(
    connection: AsyncConnection, user: str, order_id: int, now: datetime, *, suborder_hours: int
) -> DataOrder:
    """Files in ERROR or DOWNLOAD_ERROR are staged again; the order runs again with a new expiry."""
    order = await _owned_in(connection, user, order_id, RETRYABLE, "retried")
    await orders.reopen_suborders_of_files(connection, order_id, RETRIED, now)
    await files.reset_files_in(connection, order_id, RETRIED, now)
    suborders = await orders.suborder_count(connection, order_id)
    expires_at = now + ordering_rules.lifetime(suborders, suborder_hours)
    await orders.update_expiry_and_run(connection, order_id, now, expires_at)
    await _running_again(connection, order, now)
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
    catalogued = await catalogue.catalogue_files_of_order(connection, order_id)
    return await ordering.create_order(
        connection,
        user,
        catalogued,
        label=label,
        on_success_url=on_success_url,
        correlation_id=None,
        suborder_hours=ordering_rules.USER_SUBORDER_HOURS,
        now=now,
        rules=rules,
    )


async def close_orders(
    connection: AsyncConnection, closed: Sequence[OrderRow], status: OrderStatus, now: datetime
) -> None:
    """DELETED or EXPIRED: every sub-order ENDED (a staging one loses its lease, which frees the
    owner's slots), nothing available any more. `closed` are the orders as read under their locks
    (none of them in `status` already). The caller removes the staged files after commit."""
    await orders.close_orders(connection, [order.id for order in closed], status, now)
    await events.record(connection, [events.status_changed(order, status, now) for order in closed])
    await after_commit(connection, topics.DATAORDER_STAGING)  # their slots are free


async def _running_again(connection: AsyncConnection, order: OrderRow, now: datetime) -> None:
    """After the caller made `order` (as it was) RUNNING again: its counters and status follow its
    files, the events of both changes are recorded, the staging worker is woken."""
    running = replace(order, status=_S.RUNNING)
    settled = await refresh_order(connection, running, now)
    await events.record(connection, [events.status_changed(order, _S.RUNNING, now), settled])
    await after_commit(connection, topics.DATAORDER_STAGING)


async def _owned_in(
    connection: AsyncConnection, user: str, order_id: int, allowed: Collection[OrderStatus], action: str
) -> OrderRow:
    """The order, its row locked; OrderNotFound as reads, ActionNotAllowed (409) when its status
    forbids the action."""
    order = await ordering.owned_order(connection, user, order_id, lock=True)
    check_action(order.status, allowed, action)
    return order


async def _refuse_while_staging(connection: AsyncConnection, order_id: int, action: str) -> None:
    check_not_staging(await orders.suborders_in(connection, order_id, SuborderState.STAGING), action)
