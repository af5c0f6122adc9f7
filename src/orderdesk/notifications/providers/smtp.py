"""E-mail through an SMTP relay, over a small pool of persistent connections.

The relay's reply decides the status (what each reply means: `notifications.rules.smtp_replies`).
When the relay advertises DSN (RFC 3461) and a bounce address is set, each message asks for a
delivery status notification on success and on failure, so 250 is Succeeded and the report, sent to
the bounce intake, makes it Delivered or Failed_Bounced later (see `notifications.rules.bounces`).
Otherwise no success report will ever reach us, so the relay's 250 is the last word we will get:
Delivered at once (a bounce that still comes then finds the status final and is kept as a dead
letter). A permanent 5xx fails the notification with the status that fits, and anything temporary
(4xx, a refused or dropped connection, a timeout) sends it back to the queue. Nothing the relay did
not accept is ever written down as sent; a message that cannot even be rendered fails at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import aiosmtplib
import structlog

from orderdesk.notifications.models import EmailStatus
from orderdesk.notifications.providers.base import OutgoingEmail, SendResult
from orderdesk.notifications.providers.mime import UnsafeHeader, render, unsafe_result
from orderdesk.notifications.rules.smtp_replies import Stage, reply_meaning
from orderdesk.settings import NotificationSettings

_log = structlog.get_logger(__name__)

DEFAULT_DOMAIN = "orderdesk.local"
IDLE_CHECK_SECONDS = 5.0
"""A pooled connection idle longer than this is checked with NOOP first: relays drop idle clients,
and finding out during MAIL FROM would cost the message a retry."""

# Used with fullmatch: a pattern ending in `$` would let a final LF through.
_ADDRESS = re.compile(r"[^\s<>@,;:\\\"]+@[^\s<>@,;:\\\"]+")


def result_for_reply(code: int, text: str, stage: Stage, *, throttle_seconds: float) -> SendResult:
    """Turn a refusing SMTP reply into a send result (what it means: rules.smtp_replies)."""
    error = f"{code} {text}".strip()
    meaning = reply_meaning(code, text, stage)
    if meaning.status is None:
        return SendResult.retry(error, throttle_seconds=throttle_seconds if meaning.throttled else None)
    return SendResult(status=meaning.status, error=error)


def verp_sender(bounce_address: str, message: OutgoingEmail) -> str:
    """`bounces@example.com` becomes `bounces+<notification id>@example.com`, so that a bounce names
    its notification even when the returned message is cut short."""
    local, _, domain = bounce_address.rpartition("@")
    return f"{local}+{message.notification_id}@{domain}"


DSN_RETURN = "RET=HDRS"
"""Reports need only our headers back (they name the notification), not the whole message."""
DSN_NOTIFY = "NOTIFY=SUCCESS,FAILURE"
"""No DELAY: a delay changes nothing (see `notifications.rules.bounces`)."""


def dsn_mail_options(message: OutgoingEmail) -> list[str]:
    """ENVID comes back as Original-Envelope-Id, naming the notification even without VERP."""
    return [DSN_RETURN, f"ENVID={message.notification_id}"]


_REFUSALS = (aiosmtplib.SMTPRecipientsRefused, aiosmtplib.SMTPSenderRefused, aiosmtplib.SMTPDataError)


@dataclass
class _Connection:
    client: aiosmtplib.SMTP
    last_used: float = 0.0


class _Pool:
    """`size` persistent connections, opened when first needed and again after they dropped."""

    def __init__(self, factory: Callable[[], aiosmtplib.SMTP], size: int) -> None:
        self._all = [_Connection(factory()) for _ in range(size)]
        # Last in, first out: the most recently used connection is the least likely to have dropped.
        self._idle: asyncio.LifoQueue[_Connection] = asyncio.LifoQueue()
        for connection in self._all:
            self._idle.put_nowait(connection)

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[_Connection]:
        connection = await self._idle.get()
        try:
            yield connection
        except _REFUSALS:
            raise  # the client has reset the envelope (RSET): the session can go on
        except BaseException:
            # After any other failure the session is in an unknown state: the next user starts afresh.
            connection.client.close()
            raise
        finally:
            connection.last_used = time.monotonic()
            self._idle.put_nowait(connection)

    async def aclose(self) -> None:
        for connection in self._all:
            if connection.client.is_connected:
                with contextlib.suppress(aiosmtplib.SMTPException, OSError, TimeoutError):
                    await connection.client.quit(timeout=2.0)
            connection.client.close()


class SmtpProvider:
    name = "email-smtp"

    def __init__(
        self,
        *,
        host: str,
        port: int,
        clock: Callable[[], datetime],
        tls: Literal["none", "starttls", "tls"] = "none",
        username: str | None = None,
        password: str | None = None,
        connections: int = 4,
        timeout_seconds: float = 30.0,
        bounce_address: str | None = None,
        throttle_seconds: float = 60.0,
    ) -> None:
        self._clock = clock
        self._bounce_address = bounce_address
        self._throttle_seconds = throttle_seconds

        def factory() -> aiosmtplib.SMTP:
            return aiosmtplib.SMTP(
                hostname=host,
                port=port,
                username=username,
                password=password,
                timeout=timeout_seconds,
                use_tls=tls == "tls",
                start_tls=tls == "starttls",
            )

        self._pool = _Pool(factory, connections)

    @classmethod
    def from_settings(cls, settings: NotificationSettings, clock: Callable[[], datetime]) -> SmtpProvider:
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            clock=clock,
            tls=settings.smtp_tls,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            connections=settings.smtp_connections,
            timeout_seconds=settings.smtp_timeout_seconds,
            bounce_address=settings.smtp_bounce_address,
            throttle_seconds=settings.throttle_default_seconds,
        )

    def _domain(self, message: OutgoingEmail) -> str:
        """Message-IDs name our bounce domain, else the sender's: stable for every resend."""
        for address in (self._bounce_address, message.from_address):
            if address and "@" in address:
                return address.rpartition("@")[2]
        return DEFAULT_DOMAIN

    async def send(self, message: OutgoingEmail) -> SendResult:
        if not _ADDRESS.fullmatch(message.to_address):
            return SendResult(
                status=EmailStatus.FAILED_INVALID_EMAIL_FORMAT,
                error=f"not an address an SMTP relay accepts: {message.to_address!r}",
            )
        try:
            data = render(message, now=self._clock(), domain=self._domain(message))
        except UnsafeHeader as error:
            return unsafe_result(error)
        except Exception as error:  # e.g. a line break in the subject: every attempt would fail alike
            return SendResult(status=EmailStatus.FAILED, error=f"cannot render the message: {error}")
        sender = verp_sender(self._bounce_address, message) if self._bounce_address else message.from_address
        reports_follow = False
        try:
            async with self._pool.connection() as connection:
                client = connection.client
                try:
                    await self._ready(connection)
                except aiosmtplib.SMTPResponseException as error:
                    return result_for_reply(
                        error.code, error.message, Stage.CONNECT, throttle_seconds=self._throttle_seconds
                    )
                # Reports go to the envelope sender: only a bounce address brings them to our intake.
                reports_follow = self._bounce_address is not None and client.supports_extension("dsn")
                if reports_follow:
                    await client.sendmail(
                        sender,
                        [message.to_address],
                        data,
                        mail_options=dsn_mail_options(message),
                        rcpt_options=[DSN_NOTIFY],
                    )
                else:
                    await client.sendmail(sender, [message.to_address], data)
        except aiosmtplib.SMTPRecipientsRefused as error:
            refused = error.recipients[0]
            return self._refused(refused.code, refused.message, Stage.RECIPIENT)
        except aiosmtplib.SMTPSenderRefused as error:
            return self._refused(error.code, error.message, Stage.SENDER)
        except aiosmtplib.SMTPDataError as error:
            return self._refused(error.code, error.message, Stage.DATA)
        except aiosmtplib.SMTPResponseException as error:
            # Any other refusal (e.g. 421 before MAIL FROM, a HELO error) concerns the session.
            return self._refused(error.code, error.message, Stage.CONNECT)
        except aiosmtplib.SMTPNotSupported as error:  # e.g. a non-ASCII address, and no SMTPUTF8
            return SendResult(status=EmailStatus.FAILED, error=str(error))
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            # Refused or dropped connections and timeouts: the relay may or may not have the message;
            # only a 250 counts, so it is sent again later.
            return SendResult.retry(f"{type(error).__name__}: {error}")
        except ValueError as error:  # an address aiosmtplib will not put on a command line
            return SendResult(status=EmailStatus.FAILED, error=str(error))
        status = EmailStatus.SUCCEEDED if reports_follow else EmailStatus.DELIVERED
        return SendResult(status=status, reference=str(message.notification_id))

    def _refused(self, code: int, text: str, stage: Stage) -> SendResult:
        result = result_for_reply(code, text, stage, throttle_seconds=self._throttle_seconds)
        _log.info("smtp_refused", code=code, reply=text, stage=stage.value, status=result.status)
        return result

    async def _ready(self, connection: _Connection) -> None:
        """Connected, not silently dropped by the relay while idle, and greeted (EHLO): whether the
        relay offers DSN is only known after EHLO, which `sendmail` would otherwise send itself."""
        client = connection.client
        if client.is_connected and time.monotonic() - connection.last_used > IDLE_CHECK_SECONDS:
            try:
                await client.noop()
            except (aiosmtplib.SMTPException, OSError, TimeoutError):
                client.close()
        if not client.is_connected:
            await client.connect()
        if client.is_ehlo_or_helo_needed:
            try:
                await client.ehlo()
            except aiosmtplib.SMTPHeloError:
                await client.helo()  # a relay from before ESMTP: no extensions, so no DSN

    async def aclose(self) -> None:
        await self._pool.aclose()
