"""One wake-up call (core.wakeup.after_commit): this process's loops are woken once the transaction
that stored the work commits, and not at all when it rolls back."""

from __future__ import annotations

import asyncio

import pytest

from orderdesk.core import topics
from orderdesk.core.db import Database
from orderdesk.core.wakeup import Wakeups, after_commit


class _Refused(Exception):
    pass


def subscribed(database: Database) -> asyncio.Event:
    event = asyncio.Event()
    Wakeups().attach(database).subscribe(topics.DATAORDER_STAGING, event)
    return event


async def test_after_commit__woken_only_once_committed(database: Database) -> None:
    woken = subscribed(database)
    async with database.transaction() as connection:
        await after_commit(connection, topics.DATAORDER_STAGING)
        await asyncio.sleep(0)
        assert not woken.is_set()
    assert woken.is_set()


async def test_after_commit__rolled_back__nobody_woken(database: Database) -> None:
    woken = subscribed(database)

    async def store_then_fail() -> None:
        async with database.transaction() as connection:
            await after_commit(connection, topics.DATAORDER_STAGING)
            raise _Refused

    with pytest.raises(_Refused):
        await store_then_fail()
    await asyncio.sleep(0)
    assert not woken.is_set()


async def test_after_commit__autocommit__woken_at_once(database: Database) -> None:
    woken = subscribed(database)
    async with database.autocommit() as connection:
        await after_commit(connection, topics.DATAORDER_STAGING)
        assert woken.is_set()


async def test_after_commit__other_topic__not_woken(database: Database) -> None:
    woken = subscribed(database)
    async with database.transaction() as connection:
        await after_commit(connection, topics.PURCHASE_CALLBACKS)
    assert not woken.is_set()
