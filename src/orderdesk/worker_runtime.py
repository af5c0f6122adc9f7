"""The worker runtime of every family, built from the settings; run by `serve` and by `worker`.

Named apart from `core/worker.py` (one loop runner): this module composes every family's loops."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta

from orderdesk.core import topics
from orderdesk.core.activity import Activity
from orderdesk.core.db import Database
from orderdesk.core.heartbeat import Heartbeat, HeartbeatRules
from orderdesk.core.wakeup import Wakeups
from orderdesk.core.worker import Loop, Runtime
from orderdesk.dataorders.service import staging
from orderdesk.dataorders.tasks import ExpiryRules, ExpiryWorker, StagingRules, StagingWorker
from orderdesk.notifications.repository import queue
from orderdesk.notifications.tasks.bounces import BounceIntake
from orderdesk.notifications.tasks.pipeline import NotificationPipeline
from orderdesk.purchases.tasks.loops import PurchaseWorkers
from orderdesk.settings import Settings
from orderdesk.webhooks.delivery import DeliveryRules, DeliveryWorker


class WorkerRuntime:
    """The loops, the heartbeat, the PostgreSQL wake-up listener, and the providers to close at the end."""

    def __init__(
        self, settings: Settings, database: Database, clock: Callable[[], datetime], wakeups: Wakeups
    ) -> None:
        self._settings = settings
        self._database = database
        self._wakeups = wakeups
        self.activity = Activity(clock)
        self.heartbeat = Heartbeat(
            database,
            HeartbeatRules(
                interval=timedelta(seconds=settings.worker.heartbeat_seconds),
                stale_after=timedelta(seconds=settings.worker.stale_after_seconds),
            ),
            clock,
            self.activity,
            releasers=[queue.release_claims_of, staging.release_claims_of],
        )
        self.notifications = NotificationPipeline.build(
            database,
            settings.notifications,
            settings.home,
            clock,
            wakeups,
            heartbeat=self.heartbeat,
            outbound=settings.outbound,
        )
        self.staging = StagingWorker(
            database,
            StagingRules(
                area=settings.dataorder_area,
                max_per_user=settings.dataorders.max_suborders_per_user,
                links_base_url=settings.links_base_url,
                lease=timedelta(seconds=settings.dataorders.staging_lease_seconds),
                poll_seconds=settings.dataorders.staging_poll_seconds,
            ),
            clock,
            worker=self.heartbeat.id,
        )
        staging_loop = Loop("dataorder-staging", self.staging.step)
        wakeups.attach(database)
        wakeups.subscribe(topics.DATAORDER_STAGING, staging_loop.wake)
        self.expiry = ExpiryWorker(
            database,
            ExpiryRules(
                area=settings.dataorder_area, interval_seconds=settings.dataorders.expiry_check_seconds
            ),
            clock,
        )
        expiry_loop = Loop("dataorder-expiry", self.expiry.step)
        self.purchases = PurchaseWorkers(database, settings.purchases, settings.outbound, clock, wakeups)
        self.webhooks = DeliveryWorker(
            database,
            DeliveryRules.from_settings(settings.webhooks),
            clock,
            settings.outbound.policy,
            max_answer_bytes=settings.webhooks.max_answer_bytes,
            stopping=self.notifications.stopping,
        )
        webhook_loop = Loop("webhook-delivery", self.webhooks.step, in_flight=self.webhooks.in_flight)
        wakeups.subscribe(topics.WEBHOOKS, webhook_loop.wake)
        self.runtime = Runtime(
            [*self.notifications.loops, staging_loop, expiry_loop, *self.purchases.loops, webhook_loop],
            self.notifications.stopping,
            self.activity,
        )
        self.bounces = (
            BounceIntake.from_settings(settings.notifications, database, clock)
            if settings.notifications.bounce_smtp_port is not None
            else None
        )
        self._listener: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.heartbeat.start()
        if self._database.dialect == "postgresql":
            self._listener = asyncio.create_task(
                self._wakeups.listen(self._settings.database_url, self.runtime.stopping)
            )
        self.runtime.start()
        if self.bounces is not None:
            await self.bounces.start()

    async def stop(self) -> None:
        if self.bounces is not None:
            await self.bounces.stop()
        await self.runtime.stop()
        await self.heartbeat.stop()
        if self._listener is not None:
            await self._listener
        await self.notifications.aclose()
        await self.purchases.aclose()
        await self.webhooks.aclose()
