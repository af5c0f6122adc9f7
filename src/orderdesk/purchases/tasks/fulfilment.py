"""The fulfilment worker: confirmed orders carried to `processed` or `failed` (service.processing).

A batch of orders is claimed, processed and recorded in one transaction: no network call happens in
between, so a worker killed halfway leaves every order of its batch `confirmed` for the next one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import structlog
from sqlalchemy.exc import SQLAlchemyError

from orderdesk.core import topics
from orderdesk.core.db import Database
from orderdesk.core.wakeup import after_commit
from orderdesk.purchases import repository
from orderdesk.purchases.service import processing


class FulfilmentWorker:
    """Processes confirmed orders in batches; any number of workers may share one database."""

    def __init__(
        self,
        database: Database,
        clock: Callable[[], datetime],
        *,
        batch: int,
        poll_seconds: float,
    ) -> None:
        self._database = database
        self._batch = batch
        self._clock = clock
        self._poll_seconds = poll_seconds

    async def step(self) -> float:
        async with self._database.transaction() as connection:
            orders = await repository.processing.claim_confirmed(connection, self._batch)
            if not orders:
                return self._poll_seconds
            now = self._clock()
            batch = await processing.load_batch(connection, orders)
            calls_back = progressed = False
            for order in batch.orders:
                # Each order in a savepoint of its own: one the database refuses is set aside alone.
                try:
                    with structlog.contextvars.bound_contextvars(order_id=order.order_id):
                        async with connection.begin_nested():
                            calls_back |= await processing.process_order(
                                connection, order, batch.lines_of(order), batch.products, now
                            )
                    progressed = True
                except SQLAlchemyError as error:
                    await processing.set_aside(connection, order, error, now)
            if calls_back:
                await after_commit(connection, topics.PURCHASE_CALLBACKS)
        return 0.0 if progressed else self._poll_seconds
