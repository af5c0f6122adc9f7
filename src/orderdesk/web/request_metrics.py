"""ASGI middleware counting every request by the template of the route that served it (never the
raw path: ids would make a series each), its method and status, and timing it.

Plain ASGI and no I/O: a status and a clock read per request, two metric updates at the end."""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orderdesk.observability import metrics


class RequestMetricsMiddleware:
    """Outermost, so that the time covers every other layer. The route is read after the app ran:
    the router writes the matched route into the scope (a 405 names the route it partly matched)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the server answers when the app raises before starting a response

        async def observed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, observed_send)
        finally:
            route = getattr(scope.get("route"), "path", None) or metrics.UNMATCHED_ROUTE
            metrics.http_request(route, scope["method"], status, time.perf_counter() - started)
