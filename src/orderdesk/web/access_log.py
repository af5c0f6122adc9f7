"""The access log: one structured line per HTTP request, in place of uvicorn's text line.

uvicorn's line held the whole query string (a metalink `orderToken` is a download credential valid
for days) and the status only inside its message. Ours has `method`, `path`, the query with
credential-like values redacted, `status` and `duration_ms` as fields, and, through structlog's
context variables, the request's `trace_id` (the `traceId` of its problem body) and, once a route
has named it, the `order_id`. No header is logged, so neither `Authorization` nor `Cookie` can be.
"""

from __future__ import annotations

import logging

import structlog
from starlette.types import Scope

from orderdesk.core.redaction import redacted_query

_LOGGER_NAME = "orderdesk.access"
_log = structlog.get_logger(_LOGGER_NAME)
_level_check = logging.getLogger(_LOGGER_NAME)


def log_request(scope: Scope, status: int | None, seconds: float) -> None:
    """`status` None: no response was started (the client went away, the request was cancelled)."""
    # Checked first: below the level, not even the line's fields are built (the query's redaction).
    if not _level_check.isEnabledFor(logging.INFO):
        return
    _log.info(
        "http_request",
        method=scope["method"],
        path=scope["path"],
        query=redacted_query(scope.get("query_string", b"").decode("latin-1")) or None,
        status=status,
        duration_ms=round(seconds * 1000, 3),
        client=(scope.get("client") or (None,))[0],
    )
