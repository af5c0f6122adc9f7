"""A real HTTP server on a free local port whose answers a test sets per path (send conditions,
callbacks). Runs in a thread so that it serves while the test's event loop awaits."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"


@dataclass
class HttpStub:
    base_url: str
    answers: dict[str, Answer] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    """The headers of each request, in the order of `requests` (names lower-cased)."""

    def answer(self, path: str, status: int = 200, body: str = "") -> str:
        """Serve `body` with `status` at `path`; returns the absolute URL."""
        self.answers[path] = Answer(status, body.encode())
        return self.base_url + path


@contextmanager
def http_stub(host: str = "127.0.0.1") -> Iterator[HttpStub]:
    """A stub listening on `host` (any loopback address: 127.0.0.2 stands for a second machine)."""
    stub = HttpStub(base_url="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            stub.headers.append({name.lower(): value for name, value in self.headers.items()})
            stub.requests.append(self.path)
            # An answer set for a path serves it whatever query string comes with it.
            answer = stub.answers.get(self.path) or stub.answers.get(
                self.path.split("?")[0], Answer(404, b"{}")
            )
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer((host, 0), Handler)
    stub.base_url = f"http://{host}:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
