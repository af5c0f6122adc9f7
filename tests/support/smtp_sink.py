"""A real SMTP server (aiosmtpd) for tests, in the test's event loop: it records what it accepted, with
its envelope, and can be told to misbehave as relays do (refuse connections, refuse chosen
recipients, stall in DATA without ever answering). It advertises DSN (RFC 3461) unless told not to,
as relays differ there and the provider's result depends on it."""

from __future__ import annotations

import asyncio
import email
import email.policy
import weakref
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.smtp import DATA_SIZE_DEFAULT, SMTP, Envelope, Session

_DEADLINE_SECONDS = 30.0
_DSN_PARAMETERS = ("RET", "ENVID", "NOTIFY", "ORCPT")


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    peer: str = ""
    """The client's address and port: one per connection."""
    mail_options: tuple[str, ...] = ()
    rcpt_options: tuple[str, ...] = ()
    """As aiosmtpd hands them over: upper-cased, e.g. `("NOTIFY=SUCCESS,FAILURE",)`."""

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)

    @property
    def text(self) -> str:
        body = self.message.get_body(("plain", "html"))
        assert body is not None
        return str(body.get_content()).strip()


@dataclass
class SmtpSink:
    host: str = "127.0.0.1"
    port: int = 0
    received: list[Received] = field(default_factory=list)
    replies: dict[str, str] = field(default_factory=dict)
    """Recipient address -> the reply its RCPT TO gets instead of 250 (e.g. "550 5.1.1 No such user")."""
    accept_limit: int | None = None
    """After this many accepted messages, DATA stalls: the sink never answers until released."""
    stalled: int = 0
    dsn: bool = True
    """Advertise DSN in the EHLO reply and take its MAIL and RCPT parameters (else they get 555)."""
    data_size_limit: int | None = None
    """Largest message taken: a larger one gets 552 "Too much mail data" (None: aiosmtpd's 32 MiB)."""
    _server: asyncio.Server | None = None
    _sessions: weakref.WeakSet[SMTP] = field(default_factory=weakref.WeakSet)
    _released: asyncio.Event = field(default_factory=asyncio.Event)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def start(self) -> SmtpSink:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._session, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def _session(self) -> SMTP:
        session = _Session(self)
        self._sessions.add(session)
        return session

    async def handle_EHLO(
        self, server: SMTP, session: Session, envelope: Envelope, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname
        if not self.dsn:
            return responses
        return [*responses[:-1], "250-DSN", responses[-1]]  # the last line ("250 HELP") ends the reply

    async def refuse_connections(self) -> None:
        """Stop listening and drop every open session: connecting now fails with "refused"."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for session in list(self._sessions):
            transport: Any = getattr(session, "transport", None)
            if transport is not None:
                transport.close()

    async def accept_connections(self) -> None:
        if self._server is None:
            await self.start()

    def release(self) -> None:
        """Stop stalling: stalled messages are refused with 451 (never delivered), new ones accepted."""
        self.accept_limit = None
        self._released.set()

    async def stop(self) -> None:
        self.release()
        await self.refuse_connections()

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        reply = self.replies.get(address)
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.accept_limit is not None and len(self.received) >= self.accept_limit:
            self.stalled += 1
            self._notify()
            await self._released.wait()
            return "451 4.3.0 Released without delivery"
        self.received.append(
            Received(
                mail_from=str(envelope.mail_from),
                rcpt_tos=tuple(envelope.rcpt_tos),
                data=bytes(envelope.original_content or b""),
                peer=str(session.peer),
                mail_options=tuple(envelope.mail_options),
                rcpt_options=tuple(envelope.rcpt_options),
            )
        )
        self._notify()
        return f"250 OK queued as {len(self.received)}"

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_until(self, received: int = 0, stalled: int = 0) -> None:
        """Until at least that many messages were accepted and stalled, or fail after a deadline."""
        async with asyncio.timeout(_DEADLINE_SECONDS):
            while len(self.received) < received or self.stalled < stalled:
                await self._changed.wait()

    def recipients(self) -> Counter[str]:
        """How many messages each recipient got."""
        return Counter(address for message in self.received for address in message.rcpt_tos)

    def to(self, address: str) -> Received:
        [message] = [m for m in self.received if address in m.rcpt_tos]
        return message


class _Session(SMTP):
    """aiosmtpd answers 555 to every MAIL or RCPT parameter it does not implement itself; a relay
    that advertises DSN takes RET and ENVID with MAIL, NOTIFY and ORCPT with RCPT."""

    def __init__(self, sink: SmtpSink) -> None:
        super().__init__(
            sink,
            hostname="sink.test",
            ident="orderdesk test sink",
            data_size_limit=sink.data_size_limit or DATA_SIZE_DEFAULT,
        )
        self._sink = sink

    def _getparams(self, params: Sequence[str]) -> dict[str, str | bool] | None:
        found = super()._getparams(params)
        if found is not None and self._sink.dsn:
            for name in _DSN_PARAMETERS:
                found.pop(name, None)
        return found
