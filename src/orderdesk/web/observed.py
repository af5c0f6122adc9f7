"""One watch over every HTTP request, for the access log and the request metrics alike.

Plain ASGI (no task per request, no body buffering, no I/O): it only notes the response's status and
reads the clock twice. Inside the trace id's middleware, so the access line carries the trace id."""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orderdesk.web.access_log import log_request
from orderdesk.web.request_metrics import record_request


class ObservedRequestsMiddleware:
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
            seconds = time.perf_counter() - started
            log_request(scope, status, seconds)
            record_request(scope, status, seconds)
