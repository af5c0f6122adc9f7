"""What a dead delivery report keeps of the report: the table's bound is in rows, so each row must
stay small whatever a sender puts into a report."""

from __future__ import annotations

import json
from typing import Any

MAX_KEPT_REPORT_CHARS = 4096
"""A report's own JSON beyond this many characters is kept as a summary."""

_SUMMARY_KEYS = ("notificationId", "operationId", "status", "provider", "type")


def storable(report: dict[str, Any]) -> dict[str, Any]:
    """The report as it is kept: itself, or when too large its identifying keys and its size."""
    size = len(json.dumps(report, default=str))
    if size <= MAX_KEPT_REPORT_CHARS:
        return report
    summary: dict[str, Any] = {
        key: str(report[key])[:200] for key in _SUMMARY_KEYS if report.get(key) is not None
    }
    summary["truncated"] = {"characters": size}
    return summary
