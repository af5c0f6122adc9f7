"""A real HTTP server on a free local port that receives webhooks: it keeps every POST (path, headers,
body) and answers with the statuses a test scripts, then 200. Runs in a thread, so it serves while
the test's event loop awaits."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int
    """What the receiver answered it."""

    @property
    def message_id(self) -> str:
        return self.headers["webhook-id"]

    def payload(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed

    def verify(self, secret: str) -> dict[str, Any]:
        """The payload, once the signature verified with `secret` (raises otherwise)."""
        verified: dict[str, Any] = Webhook(secret).verify(self.body, self.headers)
        return verified


@dataclass
class WebhookReceiver:
    url: str = ""
    statuses: list[int] = field(default_factory=list)
    """Answered in turn, one per POST; when used up, every POST gets `default_status`."""
    default_status: int = 200
    answer_body: bytes = b'{"ok": true}'
    received: list[Received] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def next_status(self) -> int:
        with self._lock:
            return self.statuses.pop(0) if self.statuses else self.default_status

    def wait_for(self, count: int, timeout: float = 20.0) -> list[Received]:
        """Block until `count` POSTs arrived, whatever they were answered (a test's worker may run in
        another process)."""
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.received)} webhooks arrived, {count} expected")
            time.sleep(0.02)
        return list(self.received)

    def acknowledged(self) -> list[Received]:
        """The POSTs answered 2xx: what orderdesk may count as delivered."""
        return [item for item in self.received if item.status < 300]

    def payloads(self, secret: str) -> list[dict[str, Any]]:
        """Every payload acknowledged, each verified with `secret`, in the order they arrived."""
        return [item.verify(secret) for item in self.acknowledged()]


@contextmanager
def webhook_receiver(host: str = "127.0.0.1", port: int = 0) -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            status = receiver.next_status()
            headers = {key.lower(): value for key, value in self.headers.items()}
            receiver.received.append(Received(self.path, headers, body, status))
            answer = receiver.answer_body
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    receiver.url = f"http://{host}:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
