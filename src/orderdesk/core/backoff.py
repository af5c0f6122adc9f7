"""How long to wait before trying again after a failure: one policy for every family's retries
(a notification send, an order's processing, a purchase callback), so that they cannot drift apart.

Delays double from `base` with each further failure and never pass `cap`. There is no jitter: no
copy this replaced had any, and each retry time is already spread by when its work first failed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

_MAX_DOUBLINGS = 1000
"""Beyond this many doublings every delay is the cap anyway; the bound keeps the float finite."""


@dataclass(frozen=True, slots=True)
class Backoff:
    base: timedelta
    """The delay after the first failure."""
    cap: timedelta
    """No delay is longer."""

    def delay(self, failures: int) -> timedelta:
        """The wait after the `failures`-th failure in a row (1 for the first): base, 2 base, 4 base, …"""
        doublings = min(max(failures - 1, 0), _MAX_DOUBLINGS)
        seconds = min(self.base.total_seconds() * 2.0**doublings, self.cap.total_seconds())
        return timedelta(seconds=seconds)

    @classmethod
    def of_seconds(cls, base: float, cap: float) -> Backoff:
        return cls(timedelta(seconds=base), timedelta(seconds=cap))
