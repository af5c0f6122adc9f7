"""A real HTTP listener that answers `200 OK` at once and then drips its body, one byte every few
seconds, for as long as the caller stays: the endpoint that once stalled a worker loop. Runs in threads
so that it serves while the test's event loop awaits."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

_HEADERS = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"


@dataclass
class Call:
    path: str
    started: float
    sent: int = 0
    """Body bytes sent so far."""
    ended: float | None = None
    """When the caller hung up (monotonic time), None while it still listens."""


@dataclass
class SlowListener:
    base_url: str
    byte_every_seconds: float
    calls: list[Call] = field(default_factory=list)
    closing: threading.Event = field(default_factory=threading.Event)

    def hanging(self) -> list[Call]:
        return [call for call in self.calls if call.ended is None]


def _serve_one(listener: SlowListener, connection: socket.socket) -> None:
    with connection:
        request = b""
        while b"\r\n\r\n" not in request:
            chunk = connection.recv(4096)
            if not chunk:
                return
            request += chunk
        path = request.split(b" ", 2)[1].decode()
        call = Call(path, time.monotonic())
        listener.calls.append(call)
        try:
            connection.sendall(_HEADERS)
            connection.settimeout(0.2)
            while not listener.closing.is_set():
                try:  # the caller hanging up shows as end of stream (or a reset) on our side
                    if connection.recv(1) == b"":
                        break
                except TimeoutError:
                    pass
                if time.monotonic() - call.started >= listener.byte_every_seconds * (call.sent + 1):
                    connection.sendall(b" ")
                    call.sent += 1
        except OSError:
            pass
        finally:
            call.ended = time.monotonic()


@contextmanager
def slow_listener(byte_every_seconds: float = 2.0) -> Iterator[SlowListener]:
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)  # so that the accepting thread sees `closing`
    listener = SlowListener(f"http://127.0.0.1:{server.getsockname()[1]}", byte_every_seconds)

    def accept() -> None:
        while not listener.closing.is_set():
            try:
                connection, _peer = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            connection.settimeout(None)
            threading.Thread(target=_serve_one, args=(listener, connection), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener
    finally:
        listener.closing.set()
        thread.join(timeout=5)
        server.close()
