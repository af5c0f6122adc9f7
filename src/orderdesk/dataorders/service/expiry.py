"""Orders past their expiry date: the original's rule makes an order still in progress, or finished
with files not yet downloaded, EXPIRED (its sub-orders end, freeing the owner's slots). Staged files
of every expired or deleted order are removed from the staging area, also those a crash left behind
between a status change and the removal; a folder of an order this database does not know is left
alone (it is no order of ours: order rows are never deleted)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.dataorders.models import OrderStatus
from orderdesk.dataorders.repository import orders
from orderdesk.dataorders.rules.status import is_gone
from orderdesk.dataorders.service.actions import close_orders


async def expire_due(connection: AsyncConnection, now: datetime, batch: int) -> list[int]:
    """Up to `batch` orders due to expire EXPIRED; their ids. The caller removes their staged files
    after commit."""
    due = await orders.claim_due_for_expiry(connection, now, batch)
    if due:
        await close_orders(connection, due, OrderStatus.EXPIRED, now)
    return [order.id for order in due]


@dataclass(frozen=True, slots=True)
class FolderVerdict:
    stale: set[int]
    """Orders of this database whose staged files must go: deleted, expired or past their expiry."""
    unknown: set[int]
    """Orders this database never had: their folders are another instance's and stay untouched."""


async def judge_folders(
    connection: AsyncConnection, order_ids: Collection[int], now: datetime
) -> FolderVerdict:
    """Which of the staging area's order folders to remove, and which are not this database's."""
    lives = await orders.order_lives(connection, order_ids)
    return FolderVerdict(
        stale={life.id for life in lives if is_gone(life.status) or life.expires_at < now},
        unknown=set(order_ids) - {life.id for life in lives},
    )
