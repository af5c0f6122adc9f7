"""The worker loops of purchase orders: fulfilment processing and callbacks, built from the family's
settings group."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from orderdesk.core import topics
from orderdesk.core.db import Database
from orderdesk.core.outbound import OutboundClient
from orderdesk.core.wakeup import Wakeups
from orderdesk.core.worker import Loop
from orderdesk.purchases.tasks.callbacks import CallbackRules, CallbackWorker
from orderdesk.purchases.tasks.fulfilment import FulfilmentWorker
from orderdesk.settings import OutboundSettings, PurchaseSettings


class PurchaseWorkers:
    def __init__(
        self,
        database: Database,
        settings: PurchaseSettings,
        outbound: OutboundSettings,
        clock: Callable[[], datetime],
        wakeups: Wakeups,
    ) -> None:
        self.fulfilment = FulfilmentWorker(
            database, clock, batch=settings.fulfilment_batch, poll_seconds=settings.poll_seconds
        )
        self.callbacks = CallbackWorker(
            database,
            CallbackRules(
                attempts=settings.callback_attempts,
                retry_base_seconds=settings.callback_retry_base_seconds,
                retry_max_seconds=settings.callback_retry_max_seconds,
                lease_seconds=settings.callback_lease_seconds,
                timeout_seconds=settings.callback_timeout_seconds,
                poll_seconds=settings.poll_seconds,
            ),
            clock,
            OutboundClient(outbound.policy, max_answer_bytes=outbound.max_answer_bytes),
        )
        fulfilment_loop = Loop("purchase-fulfilment", self.fulfilment.step)
        callback_loop = Loop("purchase-callbacks", self.callbacks.step, in_flight=self.callbacks.in_flight)
        wakeups.attach(database)
        wakeups.subscribe(topics.PURCHASE_FULFILMENT, fulfilment_loop.wake)
        wakeups.subscribe(topics.PURCHASE_CALLBACKS, callback_loop.wake)
        self.loops = [fulfilment_loop, callback_loop]

    async def aclose(self) -> None:
        await self.callbacks.aclose()
