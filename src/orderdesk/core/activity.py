"""What each worker loop of this process is doing now, kept for the heartbeat to write down.

A loop runs its steps inside `in_loop`; code of a step (and the tasks it starts) says what it is
doing with `report`, which does nothing outside a loop (tests that call a step directly).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from orderdesk.core.clock import Clock


@dataclass(frozen=True, slots=True)
class Doing:
    what: str
    since: str
    """ISO 8601 UTC: when the loop started doing it."""


class Activity:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._loops: dict[str, Doing] = {}

    def set(self, loop: str, what: str) -> None:
        current = self._loops.get(loop)
        if current is None or current.what != what:
            self._loops[loop] = Doing(what, self._clock().isoformat())

    def snapshot(self) -> dict[str, dict[str, str]]:
        """Per loop name: {"doing": …, "since": …}, as stored with the heartbeat."""
        return {loop: {"doing": d.what, "since": d.since} for loop, d in sorted(self._loops.items())}


_current: ContextVar[tuple[Activity, str] | None] = ContextVar("orderdesk_loop", default=None)


@contextmanager
def in_loop(activity: Activity, loop: str) -> Iterator[None]:
    token = _current.set((activity, loop))
    try:
        yield
    finally:
        _current.reset(token)


def report(what: str) -> None:
    """Say what the current worker loop is doing (short, for an operator: "sending 500 email")."""
    current = _current.get()
    if current is not None:
        activity, loop = current
        activity.set(loop, what)
