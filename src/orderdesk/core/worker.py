"""Worker loops: run a step again at once while it finds work, sleep while it does not.

A step returns how long it is happy to sleep (0: call me again now). A wake-up event cuts the sleep
short (new work was stored in this process, or announced by PostgreSQL NOTIFY). A step that raises is
logged and retried after a pause; the loop only ends when the runtime stops. What each loop is
doing ("idle", or what its step reports) is kept in the runtime's Activity for the heartbeat.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import structlog

from orderdesk.core.activity import Activity, in_loop, report
from orderdesk.core.inflight import InFlight

_log = structlog.get_logger(__name__)

Step = Callable[[], Awaitable[float]]
ERROR_PAUSE_SECONDS = 1.0


@dataclass
class Loop:
    name: str
    step: Step
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    in_flight: InFlight | None = None
    """Work the steps started in tasks of their own: each one that ends wakes the loop (room for
    more); a stop waits for them, and a stop whose grace ran out cancels them."""

    def __post_init__(self) -> None:
        if self.in_flight is not None:
            self.in_flight.on_done = self.wake.set

    async def run(self, stopping: asyncio.Event, activity: Activity | None = None) -> None:
        with in_loop(activity, self.name) if activity is not None else contextlib.nullcontext():
            try:
                await self._run(stopping)
            except asyncio.CancelledError:
                if self.in_flight is not None:
                    await self.in_flight.cancel()
                raise
            if self.in_flight is not None:
                await self.in_flight.settle()

    async def _run(self, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            self.wake.clear()
            report("working")
            try:
                sleep = await self.step()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                _log.exception("worker_step_failed", loop=self.name)
                report(f"failed ({type(error).__name__}), trying again")
                sleep = ERROR_PAUSE_SECONDS
            else:
                if sleep > 0:
                    report("idle")
            if sleep > 0:
                await _first_of(self.wake, stopping, timeout=sleep)


async def _first_of(*events: asyncio.Event, timeout: float) -> None:
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


class Runtime:
    """Runs loops side by side until `stop()`; background services start and stop with them."""

    def __init__(
        self, loops: Sequence[Loop], stopping: asyncio.Event | None = None, activity: Activity | None = None
    ) -> None:
        self.loops = list(loops)
        self.stopping = stopping or asyncio.Event()
        self.activity = activity
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(loop.run(self.stopping, self.activity), name=f"orderdesk-{loop.name}")
            for loop in self.loops
        ]

    async def stop(self, grace_seconds: float = 10.0) -> None:
        """Let each loop finish its current step, then cancel what is still running."""
        self.stopping.set()
        if not self._tasks:
            return
        _done, pending = await asyncio.wait(self._tasks, timeout=grace_seconds)
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def wait(self) -> None:
        await asyncio.gather(*self._tasks)
