"""The access log: one structured line per HTTP request, in place of uvicorn's text line.

uvicorn's line held the whole query string (a metalink `orderToken` is a download credential valid
for days) and the status only inside its message. Ours has `method`, `path`, the query with
credential-like values redacted, `status` and `duration_ms` as fields, and, through structlog's
context variables, the request's `trace_id` (the `traceId` of its problem body) and, once a route
has named it, the `order_id`. No header is logged, so neither `Authorization` nor `Cookie` can be.
"""

from __future__ import annotations

import time

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orderdesk.core.redaction import redacted_query

_log = structlog.get_logger("orderdesk.access")


class AccessLogMiddleware:
    """Plain ASGI (no task per request, no body buffering): it only watches the response start."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status: int | None = None

        async def watching_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watching_send)
        except BaseException:
            # What the server answers for an error that escaped the app (or nothing, when cancelled).
            status = status or 500
            raise
        finally:
            _log.info(
                "http_request",
                method=scope["method"],
                path=scope["path"],
                query=redacted_query(scope.get("query_string", b"").decode("latin-1")) or None,
                status=status,
                duration_ms=round((time.perf_counter() - started) * 1000, 3),
                client=(scope.get("client") or (None,))[0],
            )
