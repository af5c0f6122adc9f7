"""Serving the app with uvicorn under limits a hostile client cannot stretch: how long and how large
a request head may be, keep-alive, concurrency, and which proxies' forwarded headers are believed."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass
from typing import Any

from uvicorn.protocols.http.flow_control import service_unavailable
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

from orderdesk.core.errors import DatabaseUnavailable
from orderdesk.settings import ServerSettings

_TOO_LARGE_BODY = b"The request head is too large.\n"
_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(_TOO_LARGE_BODY), _TOO_LARGE_BODY)
)
_TOO_SLOW_BODY = b"The request body was not received in time.\n"
_TOO_SLOW = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(_TOO_SLOW_BODY), _TOO_SLOW_BODY)
)


_BUSY_BODY = b"The service is busy; retry after the time in Retry-After.\n"


async def _busy(scope: Any, receive: Any, send: Any) -> None:
    """uvicorn's answer past `limit_concurrency` with `Retry-After`, as every 503 of ours has (the
    database's too): without it a client cannot tell when to come back, and some retry at once."""
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(_BUSY_BODY)).encode()),
                (b"retry-after", str(DatabaseUnavailable.retry_after_seconds).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": _BUSY_BODY, "more_body": False})


class GuardedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline and a size limit on each request head, and a
    deadline on each request body.

    uvicorn has none: its keep-alive timer runs only between requests, and httptools accepts a
    head of any size, so a client sending one header byte a second (or 64 MiB of headers) held a
    connection, and its memory, as long as it liked. The head deadline starts when the connection
    opens and again after each response; it ends when the head is complete. The body deadline then
    starts and ends when the body is complete: a body sent one byte a second gets 408 and the
    connection is closed, else it would hold the connection (and a place under the concurrency
    limit) for ever. Past the concurrency limit the 503 carries `Retry-After`."""

    head_timeout_seconds = 10.0
    max_head_bytes = 32 * 1024
    body_timeout_seconds = 60.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_deadline: asyncio.TimerHandle | None = None
        self._head_bytes = 0
        self._body_deadline: asyncio.TimerHandle | None = None
        self._body_pending = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._head_received()
        self._body_received()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._head_deadline is not None:
            self._head_bytes += len(data)
        super().data_received(data)
        if self._head_deadline is not None and self._head_bytes > self.max_head_bytes:
            self._head_received()
            if not self.transport.is_closing():
                self.transport.write(_TOO_LARGE)
                self.transport.close()
        elif self._body_pending and self._body_deadline is None and not self.transport.is_closing():
            # Armed only when a request's body is still to come after what arrived: most requests
            # arrive whole in one read, and a timer set and cancelled for each was a cost of its own.
            self._body_deadline = self.loop.call_later(self.body_timeout_seconds, self._body_too_slow)

    def on_headers_complete(self) -> None:
        self._head_received()
        super().on_headers_complete()
        self._body_received()
        self._body_pending = True

    def _start_asgi_task(self, cycle: RequestResponseCycle, app: Any) -> None:
        super()._start_asgi_task(cycle, _busy if app is service_unavailable else app)

    def on_message_complete(self) -> None:
        self._body_pending = False
        self._body_received()
        super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and (self.cycle is None or self.cycle.response_complete):
            self._await_head()

    def _await_head(self) -> None:
        self._head_received()
        self._head_bytes = 0
        self._head_deadline = self.loop.call_later(self.head_timeout_seconds, self._head_too_slow)

    def _head_received(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _body_received(self) -> None:
        if self._body_deadline is not None:
            self._body_deadline.cancel()
            self._body_deadline = None

    def _body_too_slow(self) -> None:
        self._body_deadline = None
        if not self.transport.is_closing():
            if self.cycle is not None and not self.cycle.response_started:
                self.transport.write(_TOO_SLOW)
            self.transport.close()

    def _head_too_slow(self) -> None:
        self._head_deadline = None
        if not self.transport.is_closing():
            self.transport.close()


@dataclass(frozen=True, slots=True)
class GuardedHttpProtocols:
    """Makes uvicorn's connections GuardedHttpProtocols with these limits (uvicorn calls its `http`
    option with keyword arguments for each connection). An instance, not a class made on the fly:
    `serve --workers N` hands uvicorn's configuration to its worker processes by pickling, and a
    class made at run time cannot be pickled."""

    head_timeout_seconds: float
    max_head_bytes: int
    body_timeout_seconds: float

    def __call__(self, **kwargs: Any) -> GuardedHttpProtocol:
        protocol = GuardedHttpProtocol(**kwargs)
        protocol.head_timeout_seconds = self.head_timeout_seconds
        protocol.max_head_bytes = self.max_head_bytes
        protocol.body_timeout_seconds = self.body_timeout_seconds
        return protocol


def uvicorn_options(settings: ServerSettings) -> dict[str, Any]:
    """Keyword arguments of `uvicorn.Config` for these settings (all of them picklable)."""
    protocol = GuardedHttpProtocols(
        head_timeout_seconds=settings.head_timeout_seconds,
        max_head_bytes=settings.max_head_bytes,
        body_timeout_seconds=settings.body_timeout_seconds,
    )
    proxies = [item.strip() for item in settings.trusted_proxies.split(",") if item.strip()]
    return {
        "http": protocol,
        "proxy_headers": bool(proxies),
        "forwarded_allow_ips": proxies or None,
        "timeout_keep_alive": settings.keep_alive_seconds,
        "limit_concurrency": settings.limit_concurrency,
        "backlog": settings.backlog,
        "h11_max_incomplete_event_size": settings.max_head_bytes,
        # The app logs each request itself (web.access_log), without the query's credentials.
        "access_log": False,
    }


def listening_socket(host: str, port: int, backlog: int) -> socket.socket:
    """A socket listening on host:port, for `serve` to take before anything else starts: a port in
    use is then an OSError here, before the migrations and the workers, not after them. Listening
    at once (not only bound) holds the port: Linux lets a second SO_REUSEADDR socket bind a port
    no socket listens on."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(backlog)
    except OSError:
        listener.close()
        raise
    return listener
