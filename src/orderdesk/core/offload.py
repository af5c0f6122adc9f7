"""Work as large as an order (thousands of rows to convert, a body of megabytes to serialise) is done
in a worker thread, so that the event loop goes on serving everyone else meanwhile."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import itertools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

from sqlalchemy.engine import Result, Row

P = ParamSpec("P")
T = TypeVar("T")

_builder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="orderdesk-offload")
"""One thread: the work is CPU-bound, so more threads would not finish it sooner (one interpreter
lock), but each would take the lock from the event loop in turn. With four reads of a 100 000-recipient
order in four threads `/health` took 0.7 s (median); in one, 20 ms."""


async def off_loop(work: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """`work(*args, **kwargs)` in the offload thread, after the work queued before it.

    `work` must not touch the event loop's objects; a buffered SQLAlchemy result (what
    `AsyncConnection.execute` returns) may be iterated there, all its rows having been fetched."""
    call = functools.partial(contextvars.copy_context().run, work, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(_builder, call)


LARGE = 1000
"""Items from which work goes to the offload thread: below, it takes the loop a few milliseconds, less
than the hop, and a small read never queues behind someone else's large one."""


async def off_loop_if_large(size: int, work: Callable[[], T]) -> T:
    """`work()` on the loop when `size` (its items) is below LARGE, else in the offload thread."""
    if size < LARGE:
        return work()
    return await off_loop(work)


async def converted_rows(result: Result[Any], convert: Callable[[Row[Any]], T]) -> list[T]:
    """`convert` applied to every row of a buffered result: on the loop for a few rows, in the
    offload thread (with their processing by SQLAlchemy) for as many as an order has recipients."""
    first = result.fetchmany(LARGE)
    if len(first) < LARGE:
        return [convert(row) for row in first]
    return await off_loop(lambda: [convert(row) for row in itertools.chain(first, result)])
