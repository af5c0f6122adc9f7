"""The bounded thread pool: work runs in its threads, and a full pool turns callers away at once."""

from __future__ import annotations

import asyncio
import threading

import pytest

from orderdesk.core.bounded_executor import BoundedExecutor, Saturated


async def test_run__pool_full__saturated_at_once_then_admits_again_when_a_call_ends() -> None:
    pool = BoundedExecutor(threads=1, waiting=1, name="test")
    release = threading.Event()
    try:
        running = asyncio.create_task(pool.run(release.wait, 30))
        waiting = asyncio.create_task(pool.run(threading.get_ident))
        await asyncio.sleep(0)

        with pytest.raises(Saturated):
            await pool.run(threading.get_ident)

        release.set()
        assert await running is True
        assert await waiting != threading.get_ident()
        assert await pool.run(lambda: "admitted") == "admitted"
    finally:
        release.set()
        pool.close()
