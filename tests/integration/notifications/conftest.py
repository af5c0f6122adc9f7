"""The notification workers, run in the test's event loop on the test's database and clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from orderdesk.core.db import Database
from orderdesk.core.wakeup import Wakeups
from orderdesk.notifications.tasks.pipeline import NotificationPipeline
from orderdesk.settings import Settings
from tests.conftest import Clock


@pytest.fixture
def outbox_home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
async def pipeline(
    database: Database, settings: Settings, clock: Clock, outbox_home: Path
) -> AsyncIterator[NotificationPipeline]:
    built = NotificationPipeline.build(
        database, settings.notifications, outbox_home, clock, Wakeups(), outbound=settings.outbound
    )
    yield built
    await built.aclose()
