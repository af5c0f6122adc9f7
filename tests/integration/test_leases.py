"""The one lease (core.leases) on a real database: a renewal the database refuses is tried again,
and the holder learns when the claim is gone; leaving the block leaves no renewal task behind."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.core.db import Database
from orderdesk.core.leases import Lease

LENGTH = timedelta(seconds=0.06)


async def test_lease__renewal_refused_once__renewed_at_the_next_turn_until_lost(database: Database) -> None:
    outcomes: list[str] = []

    async def renew(connection: AsyncConnection, _until: datetime) -> bool:
        if not outcomes:
            outcomes.append("refused")
            await connection.execute(text("SELECT * FROM no_such_table"))  # the database refuses it
        outcomes.append("renewed" if len(outcomes) < 3 else "gone")
        return outcomes[-1] == "renewed"

    start = datetime.now(UTC)
    lease = Lease(
        database, renew, length=LENGTH, ends=start + LENGTH, clock=lambda: datetime.now(UTC), name="test"
    )
    async with lease:
        for _ in range(500):
            if lease.lost:
                break
            await asyncio.sleep(0.01)
        assert lease.lost
        assert not lease.held()
    assert outcomes == ["refused", "renewed", "renewed", "gone"]
    assert lease.ends > start + LENGTH  # the renewal after the refused one moved the end
    assert not [task for task in asyncio.all_tasks() if task.get_name() == "orderdesk-lease-test"]


async def test_lease__block_left__renewal_task_ended(database: Database) -> None:
    async def renew(_connection: AsyncConnection, _until: datetime) -> bool:
        return True

    lease = Lease(
        database,
        renew,
        length=timedelta(minutes=1),
        ends=datetime.now(UTC) + timedelta(minutes=1),
        clock=lambda: datetime.now(UTC),
        name="left",
    )
    async with lease:
        assert lease.held(margin=timedelta(seconds=6))
    assert not [task for task in asyncio.all_tasks() if task.get_name() == "orderdesk-lease-left"]
    assert not lease.lost
