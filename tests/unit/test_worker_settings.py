"""Worker heartbeat settings: a worker must get several beats in before the others take it for dead."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from orderdesk.settings import WorkerSettings


def test_defaults__a_beat_every_2_s__dead_after_10_s() -> None:
    settings = WorkerSettings()
    assert (settings.heartbeat_seconds, settings.stale_after_seconds) == (2.0, 10.0)


def test_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDERDESK_WORKER_HEARTBEAT_SECONDS", "5")
    monkeypatch.setenv("ORDERDESK_WORKER_STALE_AFTER_SECONDS", "30")
    settings = WorkerSettings()
    assert (settings.heartbeat_seconds, settings.stale_after_seconds) == (5.0, 30.0)


def test_stale_after_shorter_than_two_beats__refused() -> None:
    with pytest.raises(ValidationError, match="at least twice"):
        WorkerSettings(heartbeat_seconds=5, stale_after_seconds=8)
