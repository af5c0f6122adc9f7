"""A staging worker that loses its sub-order's lease mid-copy stops copying (issue 14): another
worker has the sub-order by then and stages it itself, so going on would stage it twice."""

from __future__ import annotations

import asyncio
import os
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import select, update

from orderdesk.core.db import Database
from orderdesk.dataorders.service.catalogue import import_dataset, read_folder
from orderdesk.dataorders.tables import data_suborder
from orderdesk.dataorders.tasks import StagingRules, StagingWorker
from tests.conftest import Clock
from tests.integration.dataorders.flow import MIB, order_all

FILES = 12
FILE_BYTES = 32 * MIB
"""Copying and hashing 384 MiB takes far longer than the first renewal (a tenth of a second)."""
LEASE = timedelta(seconds=0.3)


async def one_suborder_of_many_files(database: Database, root: Path) -> None:
    (root / "P").mkdir(parents=True)
    for index in range(FILES):
        (root / "P" / f"f{index:02}.bin").write_bytes(os.urandom(FILE_BYTES))
    async with database.transaction() as connection:
        await import_dataset(connection, "many", root, await read_folder(root), now=datetime.now(UTC))


async def take_over_once_claimed(database: Database, order_id: int) -> None:
    """What another worker's claim does to the row once this lease is lost: a token of its own."""
    while True:
        async with database.transaction() as connection:
            taken = await connection.execute(
                update(data_suborder)
                .where(data_suborder.c.order_id == order_id, data_suborder.c.lease_token.is_not(None))
                .values(lease_token=uuid.uuid4())
            )
        if taken.rowcount:
            return
        await asyncio.sleep(0.01)


async def test_staging__lease_lost_mid_copy__starts_no_further_file(
    http: httpx.AsyncClient,
    user: dict[str, str],
    database: Database,
    clock: Clock,
    tmp_path: Path,
) -> None:
    await one_suborder_of_many_files(database, tmp_path / "catalog")
    order_id = await order_all(http, user, "many")
    async with database.transaction() as connection:
        suborders = (
            await connection.execute(select(data_suborder.c.id).where(data_suborder.c.order_id == order_id))
        ).all()
    assert len(suborders) == 1
    area = tmp_path / "area"
    worker = StagingWorker(
        database,
        StagingRules(area=area, max_per_user=2, links_base_url="http://testserver", lease=LEASE),
        clock,
    )

    await asyncio.gather(worker.step(), take_over_once_claimed(database, order_id))

    staged = [path for path in (area / str(order_id)).iterdir() if not path.name.endswith(".partial")]
    assert len(staged) < FILES, "the worker went on copying after its lease was lost"
    assert not [task for task in asyncio.all_tasks() if task.get_name().startswith("orderdesk-lease")]
