"""The webhook retention loop: deletes delivered and failed events, and attempts, once they are older
than `retention_days`, in short transactions; at once again while a batch was full, else every ten
minutes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import structlog

from orderdesk.core.db import Database, on_commit
from orderdesk.observability import metrics
from orderdesk.webhooks.repository import retention

_log = structlog.get_logger(__name__)

INTERVAL_SECONDS = 600.0


class RetentionWorker:
    """Each step deletes one batch of ended events and one of attempts, each in its own transaction."""

    def __init__(
        self,
        database: Database,
        retention_days: float,
        clock: Callable[[], datetime],
        *,
        batch: int = retention.RETENTION_BATCH,
    ) -> None:
        self._database = database
        self._retention = timedelta(days=retention_days)
        self._clock = clock
        self._batch = batch

    async def step(self) -> float:
        before = self._clock() - self._retention
        async with self._database.transaction() as connection:
            events = await retention.prune_events(connection, before, batch=self._batch)
            on_commit(connection, lambda: metrics.webhook_events_deleted(events))
        async with self._database.transaction() as connection:
            attempts = await retention.prune_attempts(connection, before, batch=self._batch)
        if events or attempts:
            _log.info("webhooks_pruned", events=events, attempts=attempts)
        return 0.0 if max(events, attempts) >= self._batch else INTERVAL_SECONDS
