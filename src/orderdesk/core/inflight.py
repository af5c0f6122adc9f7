"""Claimed items worked on side by side, each in a task of its own, so that a slow one holds back only
itself: the loop that claims them takes more as soon as any finishes, never waiting for a whole batch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import structlog

_log = structlog.get_logger(__name__)


class InFlight:
    """At most `limit` tasks at once. `on_done` runs as each ends (a loop's wake-up: room for more).

    A task's own errors are its own: it must record its outcome (and hand back what it claimed) itself;
    anything it lets escape is logged here, never raised into the loop."""

    def __init__(self, name: str, limit: int) -> None:
        self._name = name
        self._limit = limit
        self._tasks: set[asyncio.Task[None]] = set()
        self._keys: dict[asyncio.Task[None], str] = {}
        self.on_done: Callable[[], None] | None = None

    @property
    def room(self) -> int:
        return max(0, self._limit - len(self._tasks))

    def __len__(self) -> int:
        return len(self._tasks)

    def held(self) -> dict[str, int]:
        """How many tasks each key (an order's owner, say) has running."""
        counts: dict[str, int] = {}
        for key in self._keys.values():
            counts[key] = counts.get(key, 0) + 1
        return counts

    def start(self, work: Coroutine[Any, Any, None], key: str | None = None) -> None:
        task = asyncio.create_task(work, name=f"orderdesk-{self._name}")
        self._tasks.add(task)
        if key is not None:
            self._keys[task] = key
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._keys.pop(task, None)
        if not task.cancelled() and task.exception() is not None:
            _log.error("in_flight_task_failed", loop=self._name, error=repr(task.exception()))
        if self.on_done is not None:
            self.on_done()

    async def settle(self) -> None:
        """Wait for every task, however long it takes. Cancelled meanwhile (a stop whose grace ran
        out): cancel them all, let each hand back its work, then stop."""
        try:
            while self._tasks:
                await asyncio.wait(set(self._tasks))
        except asyncio.CancelledError:
            await self.cancel()
            raise

    async def cancel(self) -> None:
        tasks = set(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
