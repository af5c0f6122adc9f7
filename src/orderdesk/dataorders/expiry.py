"""Orders past their expiry date: the original's rule makes an order still in progress, or finished
with files not yet downloaded, EXPIRED (its sub-orders end, freeing the owner's slots). Staged files
of every expired, deleted or unknown order are removed from the staging area, also those a crash
left behind between a status change and the removal."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import structlog
from sqlalchemy import and_, or_, select

from orderdesk.core.db import Database, lock_for_update
from orderdesk.dataorders.actions import close_orders
from orderdesk.dataorders.models import GONE, OrderStatus
from orderdesk.dataorders.staging import remove_staged_files
from orderdesk.dataorders.tables import data_order

_log = structlog.get_logger(__name__)
_S = OrderStatus
_EXPIRING = (_S.PENDING.value, _S.RUNNING.value, _S.PAUSED.value)
_EXPIRING_IF_UNREAD = (_S.DONE.value, _S.DONE_WITH_WARNING.value)
BATCH = 100


@dataclass(frozen=True, slots=True)
class ExpiryRules:
    area: Path
    interval_seconds: float = 60.0


class ExpiryWorker:
    def __init__(self, database: Database, rules: ExpiryRules, clock: Callable[[], datetime]) -> None:
        self._database = database
        self._rules = rules
        self._clock = clock

    async def step(self) -> float:
        """Expire due orders, then tidy the staging area; the pause before the next round."""
        expired = await self.expire()
        await self.remove_stale_folders()
        return 0.0 if expired == BATCH else self._rules.interval_seconds

    async def expire(self) -> int:
        now = self._clock()
        order = data_order.c
        due = and_(
            order.expires_at < now,
            or_(
                order.status.in_(_EXPIRING),
                and_(order.status.in_(_EXPIRING_IF_UNREAD), order.available_files > 0),
            ),
        )
        async with self._database.transaction() as connection:
            await lock_for_update(connection)
            rows = await connection.execute(
                select(order.id)
                .where(due)
                .order_by(order.expires_at)
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            )
            order_ids = [row.id for row in rows]
            if order_ids:
                await close_orders(connection, order_ids, _S.EXPIRED, now)
        for order_id in order_ids:
            _log.info("dataorder_expired", order_id=order_id)
            await remove_staged_files(self._rules.area, order_id)
        return len(order_ids)

    async def remove_stale_folders(self) -> None:
        """Folders of orders that are gone, past expiry, or unknown (a crash between commit and rmtree)."""
        if not self._rules.area.is_dir():
            return
        folders = {
            int(path.name) for path in self._rules.area.iterdir() if path.is_dir() and path.name.isdigit()
        }
        if not folders:
            return
        order = data_order.c
        async with self._database.transaction() as connection:
            rows = await connection.execute(
                select(order.id, order.status, order.expires_at).where(order.id.in_(folders))
            )
            live = {row.id for row in rows if row.status not in GONE and row.expires_at >= self._clock()}
        for order_id in sorted(folders - live):
            await remove_staged_files(self._rules.area, order_id)
