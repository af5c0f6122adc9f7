"""The one place that reads the wall clock, so rules about time can be tested with a fixed clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


def wire_time(moment: datetime) -> str:
    """A moment as the APIs and webhooks write it: ISO 8601 in UTC with `Z`, as pydantic writes a UTC
    datetime."""
    return moment.astimezone(UTC).isoformat().removesuffix("+00:00") + "Z"
