"""Kannel for tests: a real bearerbox + smsbox with a fakesmsc SMSC on free ports, and a small HTTP
peer that answers like smsbox's sendsms interface when a test needs exact answers without Kannel.

Tests that need Kannel skip when it is not installed, and fail instead when
ORDERDESK_TEST_REQUIRE_KANNEL=1 (CI installs it).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote_to_bytes, urlsplit

import httpx
import pytest
from pydantic import SecretStr

from orderdesk.settings import NotificationSettings
from tests.support.workers import free_port

REQUIRE_KANNEL = os.environ.get("ORDERDESK_TEST_REQUIRE_KANNEL") == "1"
SBIN_PLACES = ("/usr/sbin", "/usr/local/sbin")
FAKESMSC_PLACES = ("/usr/lib/kannel/test/fakesmsc", "/usr/libexec/kannel/test/fakesmsc")
START_SECONDS = 30.0
STOP_SECONDS = 10.0
USERNAME = "orderdesk"
PASSWORD = "kannel-test-password"
_GOT_MESSAGE = re.compile(r"Got message \d+: <(\S*) (\S*) (\S+) (.*)>\s*$")


def kannel_programs() -> tuple[str, str, str]:
    """bearerbox, smsbox and fakesmsc; skips the test (fails it when Kannel is required) if missing."""
    # The boxes live in sbin, which is not on every user's PATH.
    search = os.pathsep.join([os.environ.get("PATH", ""), *SBIN_PLACES])
    bearerbox, smsbox = shutil.which("bearerbox", path=search), shutil.which("smsbox", path=search)
    fakesmsc = shutil.which("fakesmsc") or next((p for p in FAKESMSC_PLACES if Path(p).exists()), None)
    if bearerbox and smsbox and fakesmsc:
        return bearerbox, smsbox, fakesmsc
    reason = "Kannel is not installed (apt-get install kannel kannel-extras)"
    if REQUIRE_KANNEL:
        pytest.fail(f"ORDERDESK_TEST_REQUIRE_KANNEL=1 but {reason}")
    pytest.skip(reason)


def kannel_notification_settings(
    settings: NotificationSettings, *, sendsms_url: str, public_base_url: str
) -> NotificationSettings:
    """The given settings with the Kannel SMS provider pointed at `sendsms_url`."""
    return settings.model_copy(
        update={
            "sms_provider": "kannel",
            "kannel_sendsms_url": sendsms_url,
            "kannel_username": USERNAME,
            "kannel_password": SecretStr(PASSWORD),
            "public_base_url": public_base_url,
        }
    )


@dataclass(frozen=True)
class SmscMessage:
    """An SMS as it reached the SMSC (fakesmsc), its text decoded."""

    sender: str
    receiver: str
    coding: str
    text: str


@dataclass
class KannelGateway:
    sendsms_url: str
    admin_url: str
    folder: Path

    def messages(self) -> list[SmscMessage]:
        """What fakesmsc has received so far, from its output."""
        path = self.folder / "fakesmsc.out"
        if not path.exists():
            return []
        found = []
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            match = _GOT_MESSAGE.search(line)
            if match:
                sender, receiver, kind, data = match.groups()
                found.append(SmscMessage(sender, receiver, kind, _decode(kind, data)))
        return found

    def logs(self) -> str:
        """The tail of every log, for failure messages."""
        parts = []
        for path in sorted(self.folder.glob("*.log")) + sorted(self.folder.glob("*.out")):
            parts.append(
                f"--- {path.name}\n" + "\n".join(path.read_text(errors="replace").splitlines()[-40:])
            )
        return "\n".join(parts)


def _decode(kind: str, data: str) -> str:
    if kind == "text":
        return data
    raw = unquote_to_bytes(data.replace("+", " "))
    return raw.decode("utf-16-be") if kind == "ucs-2" else raw.decode("latin-1")


def _config(folder: Path, *, admin: int, smsbox: int, smsc: int, sendsms: int) -> str:
    return f"""
group = core
admin-port = {admin}
admin-password = admin-{PASSWORD}
smsbox-port = {smsbox}
box-allow-ip = "127.0.0.1"
log-file = "{folder / "bearerbox.log"}"
log-level = 0
access-log = "{folder / "access.log"}"
dlr-storage = internal

group = smsc
smsc = fake
smsc-id = fake
port = {smsc}
connect-allow-ip = "127.0.0.1"

group = smsbox
bearerbox-host = 127.0.0.1
sendsms-port = {sendsms}
log-file = "{folder / "smsbox.log"}"
log-level = 0

group = sendsms-user
username = {USERNAME}
password = {PASSWORD}
max-messages = 10
concatenation = true
"""


@contextmanager
def kannel_gateway(folder: Path) -> Iterator[KannelGateway]:
    """Run bearerbox, fakesmsc (the SMSC) and smsbox until the block ends."""
    bearerbox, smsbox, fakesmsc = kannel_programs()
    folder.mkdir(parents=True, exist_ok=True)
    admin, box, smsc, sendsms = (free_port() for _ in range(4))
    config = folder / "kannel.conf"
    config.write_text(_config(folder, admin=admin, smsbox=box, smsc=smsc, sendsms=sendsms))
    gateway = KannelGateway(
        sendsms_url=f"http://127.0.0.1:{sendsms}/cgi-bin/sendsms",
        admin_url=f"http://127.0.0.1:{admin}/status.txt?password={quote(f'admin-{PASSWORD}')}",
        folder=folder,
    )
    processes: list[subprocess.Popen[bytes]] = []

    def start(name: str, *command: str) -> None:
        with (folder / f"{name}.out").open("wb") as output:
            processes.append(subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, cwd=folder))

    try:
        start("bearerbox", bearerbox, str(config))
        _wait_for(lambda: _answers(gateway.admin_url), gateway, "bearerbox to answer")
        # fakesmsc needs a message pattern even when told to generate none (-m 0): it only receives.
        start("fakesmsc", fakesmsc, "-H", "127.0.0.1", "-r", str(smsc), "-m", "0", "0 0 text unused")
        start("smsbox", smsbox, str(config))
        _wait_for(lambda: _ready(gateway, sendsms), gateway, "smsbox and fakesmsc to connect")
        yield gateway
    finally:
        for process in reversed(processes):
            _stop(process)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _ready(gateway: KannelGateway, sendsms_port: int) -> bool:
    try:
        status = httpx.get(gateway.admin_url, timeout=2).text
        with socket.create_connection(("127.0.0.1", sendsms_port), timeout=2):
            pass
    except (httpx.HTTPError, OSError):
        return False
    return "smsbox:" in status and "(online" in status


def _wait_for(ready: Callable[[], bool], gateway: KannelGateway, what: str) -> None:
    deadline = time.monotonic() + START_SECONDS
    while not ready():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}\n{gateway.logs()}")
        time.sleep(0.1)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_SECONDS)


@dataclass
class SendsmsAnswer:
    status: int = 202
    body: str = "0: Accepted for delivery"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class SendsmsPeer:
    """An HTTP server that answers like smsbox's `sendsms`: by default 202 "0: Accepted for
    delivery"; `answer_next` queues other answers. Records the parameters of every request."""

    url: str = ""
    queued: list[SendsmsAnswer] = field(default_factory=list)
    requests: list[dict[str, str]] = field(default_factory=list)

    def answer_next(self, status: int, body: str, headers: dict[str, str] | None = None) -> None:
        self.queued.append(SendsmsAnswer(status, body, headers or {}))

    def dlr_url(self, receiver: str) -> str:
        """The dlr-url orderdesk gave with its last message to `receiver`."""
        return next(r["dlr-url"] for r in reversed(self.requests) if r.get("to") == receiver)


@contextmanager
def sendsms_peer() -> Iterator[SendsmsPeer]:
    peer = SendsmsPeer()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            query = parse_qs(urlsplit(self.path).query, keep_blank_values=True)
            with lock:
                peer.requests.append({key: values[-1] for key, values in query.items()})
                answer = peer.queued.pop(0) if peer.queued else SendsmsAnswer()
            body = answer.body.encode()
            self.send_response(answer.status)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    peer.url = f"http://127.0.0.1:{server.server_address[1]}/cgi-bin/sendsms"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield peer
    finally:
        server.shutdown()
        server.server_close()
