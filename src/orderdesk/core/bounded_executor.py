"""A small thread pool for CPU-bound work requested by requests (password hashing), bounded in both
threads and waiting work, so that a flood is turned away instead of queued without end."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


class Saturated(Exception):
    """Every thread is busy and the waiting line is full; the caller should answer 503."""


class BoundedExecutor:
    """Runs functions in `threads` threads of its own, with at most `waiting` more queued behind them.

    Its own threads, not asyncio's default executor: a flood of hashing must not hold back other work
    sent to threads. Each admitted call keeps its place until its function has finished or was
    cancelled before starting, even if the awaiting request went away meanwhile.
    """

    def __init__(self, *, threads: int, waiting: int, name: str) -> None:
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix=name)
        self._capacity = threads + waiting
        self._admitted = 0

    async def run(self, function: Callable[..., T], *args: object) -> T:
        """`function(*args)` in a thread; raises Saturated at once when the pool is full."""
        if self._admitted >= self._capacity:
            raise Saturated(f"{self._admitted} calls are running or waiting")
        loop = asyncio.get_running_loop()
        self._admitted += 1
        future: Future[T] = self._executor.submit(function, *args)
        future.add_done_callback(lambda _done: self._release_from(loop))
        return await asyncio.wrap_future(future)

    def _release_from(self, loop: asyncio.AbstractEventLoop) -> None:
        """Called in the thread that finished (or cancelled) the call: count it back on the loop."""
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is left to admit
            loop.call_soon_threadsafe(self._release)

    def _release(self) -> None:
        self._admitted -= 1

    def close(self) -> None:
        """Stop taking work; queued calls are cancelled, running ones finish in the background."""
        self._executor.shutdown(wait=False, cancel_futures=True)
