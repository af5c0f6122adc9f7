"""Collection of the schemathesis tests without coverage.py's tracer."""

from __future__ import annotations

from collections.abc import Generator

import coverage
import pytest


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    """Schemathesis builds every operation's boundary cases (strings one past maxLength and the like)
    with hypothesis while collecting, in every xdist worker: traced by coverage.py, that took 70 s of
    CPU per worker instead of 22. None of it runs orderdesk's code, so coverage pauses meanwhile; the
    requests themselves, sent when the tests run, are measured as usual."""
    measuring = coverage.Coverage.current()
    if measuring is None or type(collector).__name__ != "SchemathesisCase":
        return (yield)
    measuring.stop()
    try:
        return (yield)
    finally:
        measuring.start()
