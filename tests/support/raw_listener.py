"""A bare TCP listener on loopback that takes one request per connection, keeps its head (request
line and headers), writes a fixed answer and hangs up: what an outbound call put on the wire, and
how it copes with a peer that closes a connection it said it would keep."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def raw_listener(
    answer: bytes, family: socket.AddressFamily = socket.AF_INET
) -> Iterator[tuple[int, list[bytes]]]:
    """Its port, and the heads of the requests it took (in order)."""
    host = "::1" if family == socket.AF_INET6 else "127.0.0.1"
    server = socket.create_server((host, 0), family=family)
    server.settimeout(0.2)  # so that the accepting thread sees `closing`
    heads: list[bytes] = []
    closing = threading.Event()

    def serve() -> None:
        while not closing.is_set():
            try:
                connection, _peer = server.accept()
            except TimeoutError:
                continue
            with connection:
                request = b""
                while b"\r\n\r\n" not in request:
                    request += connection.recv(4096)
                heads.append(request.split(b"\r\n\r\n", 1)[0])
                connection.sendall(answer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1], heads
    finally:
        closing.set()
        thread.join(timeout=5)
        server.close()
