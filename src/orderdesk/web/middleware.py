"""ASGI middleware: a trace id on every request (and on every log line written while it is handled),
and a cap on the size of request bodies."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_TRACEPARENT = re.compile(r"00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}")


class TraceIdMiddleware:
    """Keeps the caller's W3C `traceparent` or makes one; problem bodies report it as `traceId`, and
    every log line written while the request is handled carries it as `trace_id`, so that a client's
    error report leads to its lines."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            incoming = dict(scope.get("headers") or []).get(b"traceparent", b"").decode("latin-1")
            match = _TRACEPARENT.fullmatch(incoming)
            # One draw for both ids (the span's is new even when the trace is the caller's).
            drawn = secrets.token_hex(24)
            trace = match.group(1) if match else drawn[16:]
            trace_id = f"00-{trace}-{drawn[:16]}-00"
            scope.setdefault("state", {})["trace_id"] = trace_id
            # Set and reset by token: structlog's bound_contextvars first reads every context
            # variable there is, which was a twentieth of a status read's CPU time.
            tokens = structlog.contextvars.bind_contextvars(trace_id=trace_id)
            try:
                await self.app(scope, receive, send)
            finally:
                structlog.contextvars.reset_contextvars(**tokens)
            return
        await self.app(scope, receive, send)


async def _no_body() -> Message:
    return {"type": "http.disconnect"}


class _BodyTooLarge(HTTPException):
    """Raised while reading a body; an HTTPException so that FastAPI's body parsing passes it on."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"The request body is larger than {max_bytes} bytes.")


class BodySizeLimitMiddleware:
    """Refuses bodies over `max_bytes` with 413, by Content-Length or while streaming, before any
    handler has seen them."""

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        render: Callable[[Request, Exception], Awaitable[Response]] | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        # The app's HTTP error handler, so that each family answers in its own error body.
        self.render = render

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is None and b"transfer-encoding" not in headers:
            # Neither header: HTTP/1.1 gives the request no body (RFC 9112, 6.3), so there is nothing
            # to count, and no reason to wrap receive and send (most reads).
            await self.app(scope, receive, send)
            return
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, send)
            return
        if declared is not None and declared.isdigit() and b"transfer-encoding" not in headers:
            # Framed by its Content-Length, within the limit: the server reads that many bytes as
            # the body and no more (the rest would be the next request), so there is nothing to
            # count (most bodies; wrapping receive and send was a twentieth of an order intake).
            await self.app(scope, receive, send)
            return

        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge(self.max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if not response_started:
                await self._refuse(scope, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        if self.render is not None:
            response = await self.render(Request(scope), _BodyTooLarge(self.max_bytes))
            response.headers["Connection"] = "close"
            await response(scope, _no_body, send)
            return
        state: dict[str, Any] = scope.get("state") or {}
        body = json.dumps(
            {
                "type": "https://tools.ietf.org/html/rfc9110#section-15.5.14",
                "title": "Content Too Large",
                "status": 413,
                "detail": f"The request body is larger than {self.max_bytes} bytes.",
                "traceId": state.get("trace_id", ""),
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/problem+json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
