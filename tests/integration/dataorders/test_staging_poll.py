"""The staging loop's idle poll interval comes from ORDERDESK_DATAORDER_STAGING_POLL_SECONDS."""

from __future__ import annotations

from orderdesk.core.db import Database
from orderdesk.core.wakeup import Wakeups
from orderdesk.settings import DataOrderSettings, Settings
from orderdesk.worker_runtime import WorkerRuntime
from tests.conftest import Clock


async def test_idle_staging_step__waits_the_configured_poll_interval(
    settings: Settings, database: Database, clock: Clock
) -> None:
    configured = settings.model_copy(update={"dataorders": DataOrderSettings(staging_poll_seconds=2.5)})
    runtime = WorkerRuntime(configured, database, clock, Wakeups())
    try:
        assert await runtime.staging.step() == 2.5
    finally:
        await runtime.notifications.aclose()
        await runtime.purchases.aclose()


async def test_idle_staging_step__waits_one_second_by_default(
    settings: Settings, database: Database, clock: Clock
) -> None:
    runtime = WorkerRuntime(settings, database, clock, Wakeups())
    try:
        assert await runtime.staging.step() == 1.0
    finally:
        await runtime.notifications.aclose()
        await runtime.purchases.aclose()
