"""What every answer of the API shares on the wire: problem details and UTC times."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

PROBLEM = "application/problem+json"


def assert_problem(response: httpx.Response, status: int, type_: str) -> dict[str, Any]:
    """The problem details of `response`, after checking what every problem carries."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    problem: dict[str, Any] = response.json()
    assert problem["type"] == type_
    assert problem["status"] == status
    assert problem["title"]
    assert problem["traceId"]
    return problem


def parse_wire_time(value: str) -> datetime:
    """A time as the API writes it: ISO 8601 in UTC, ending in Z."""
    assert value.endswith("Z"), value
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
