"""The one retry policy: the delays every family had before it, doubling to a cap."""

from __future__ import annotations

from datetime import timedelta

from orderdesk.core.backoff import Backoff


def test_delay__doubles_from_base_after_each_failure() -> None:
    backoff = Backoff.of_seconds(10, 900)
    assert [backoff.delay(failures).total_seconds() for failures in (1, 2, 3, 4)] == [10, 20, 40, 80]


def test_delay__never_passes_the_cap() -> None:
    backoff = Backoff(timedelta(seconds=10), timedelta(minutes=15))
    assert backoff.delay(8) == timedelta(minutes=15)
    assert backoff.delay(10_000) == timedelta(minutes=15)


def test_delay__before_any_failure__base() -> None:
    assert Backoff.of_seconds(10, 60).delay(0) == timedelta(seconds=10)
