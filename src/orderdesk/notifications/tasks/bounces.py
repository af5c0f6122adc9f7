"""Bounces: delivery status notifications (RFC 3464) that mail servers send back to the VERP envelope
sender, read by a small SMTP listener in the worker and applied to their e-mail notification.

A permanent failure (`Action: failed`, `Status: 5.x.x`) makes the notification Failed_Bounced; a delay
or a 4.x.x status changes nothing, since the sending server is still trying. The success reports the
SMTP provider asks for make it Delivered: `Action: delivered`, and also `relayed`, which says the
message went on to a server without DSN, so no later report will come. The notification is found
from the VERP address the report was sent to, else from its Original-Envelope-Id (the ENVID the
provider gave), else from the returned original's headers.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import Message
from email.parser import BytesHeaderParser
from enum import Enum
from typing import Any
from uuid import UUID

import structlog
from aiosmtpd.smtp import SMTP, Envelope, Session

from orderdesk.core.db import Database
from orderdesk.notifications.models import Channel, EmailStatus
from orderdesk.notifications.providers.mime import NOTIFICATION_HEADER
from orderdesk.notifications.service.reports import DeliveryReport, apply_reports
from orderdesk.settings import NotificationSettings

_log = structlog.get_logger(__name__)

_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_VERP = re.compile(rf"^[^@]*\+({_UUID})@", re.IGNORECASE)
_MESSAGE_ID = re.compile(rf"<({_UUID})@[^>]*>")
_STATUS = re.compile(r"^([245])\.\d{1,3}\.\d{1,3}")


class Outcome(Enum):
    FAILED = "failed"
    """A permanent failure: Failed_Bounced."""
    DELIVERED = "delivered"
    """A positive report (only sent when asked for), delivered or relayed beyond DSN: Delivered."""
    PENDING = "pending"
    """Delayed, or a temporary status: the sending server is still at it; nothing changes."""
    UNREADABLE = "unreadable"
    """Not a delivery status notification we understand."""


@dataclass(frozen=True, slots=True)
class Bounce:
    outcome: Outcome
    notification_id: UUID | None
    raw: dict[str, Any]

    def report(self) -> DeliveryReport | None:
        """The report to apply; None when there is nothing to apply or keep."""
        if self.outcome is Outcome.PENDING or self.notification_id is None:
            return None
        status = {Outcome.FAILED: EmailStatus.FAILED_BOUNCED, Outcome.DELIVERED: EmailStatus.DELIVERED}
        # An unreadable message that names a notification is kept as a dead letter (status None).
        return DeliveryReport(
            status=status.get(self.outcome), raw=self.raw, notification_id=self.notification_id
        )


def parse_bounce(content: bytes, envelope_recipients: Sequence[str]) -> Bounce:
    """Read one message received by the intake. Never raises: what it cannot read is UNREADABLE."""
    raw: dict[str, Any] = {"source": "smtp-bounce", "envelopeRecipients": list(envelope_recipients)}
    notification_id = _from_verp(envelope_recipients)
    try:
        message = email.message_from_bytes(content, policy=email.policy.compat32)
    except Exception as error:  # the parser is lenient; this is for the truly broken
        raw["error"] = f"{type(error).__name__}: {error}"
        return Bounce(Outcome.UNREADABLE, notification_id, raw)
    raw["subject"] = str(message.get("Subject", ""))
    notification_id = notification_id or _from_envelope_id(message) or _from_original(message)
    if message.get_content_type() != "multipart/report" or message.get_param("report-type") != (
        "delivery-status"
    ):
        raw["error"] = f"not a delivery status notification ({message.get_content_type()})"
        return Bounce(Outcome.UNREADABLE, notification_id, raw)
    recipients = list(_recipient_fields(message))
    if not recipients:
        raw["error"] = "no per-recipient delivery status fields"
        return Bounce(Outcome.UNREADABLE, notification_id, raw)
    # Our messages have one recipient each; should a report list several, a failure wins.
    fields = next((f for f in recipients if _outcome(f) is Outcome.FAILED), recipients[0])
    raw.update(
        {
            "action": fields.get("action"),
            "status": fields.get("status"),
            "finalRecipient": fields.get("final-recipient"),
            "diagnosticCode": fields.get("diagnostic-code"),
        }
    )
    return Bounce(_outcome(fields), notification_id, raw)


def _outcome(fields: dict[str, str]) -> Outcome:
    action = fields.get("action", "").lower()
    status = _STATUS.match(fields.get("status", ""))
    if action == "failed" and status is not None and status[1] == "5":
        return Outcome.FAILED
    if action in ("delivered", "relayed") and status is not None and status[1] == "2":
        return Outcome.DELIVERED
    if action in ("failed", "delayed", "delivered", "relayed", "expanded"):
        return Outcome.PENDING
    return Outcome.UNREADABLE


def _field_groups(report: Message) -> Iterator[dict[str, str]]:
    """The field groups of the message/delivery-status part: per message, then per recipient."""
    for part in report.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        payload = part.get_payload()
        for block in payload if isinstance(payload, list) else []:
            if isinstance(block, Message):
                yield {name.lower(): " ".join(str(value).split()) for name, value in block.items()}


def _recipient_fields(report: Message) -> Iterator[dict[str, str]]:
    """Per-recipient field groups (those with an Action)."""
    return (fields for fields in _field_groups(report) if "action" in fields)


def _from_envelope_id(report: Message) -> UUID | None:
    """The notification the SMTP provider named with ENVID, returned as Original-Envelope-Id."""
    for fields in _field_groups(report):
        try:
            return UUID(fields.get("original-envelope-id", ""))
        except ValueError:
            continue
    return None


def _from_verp(envelope_recipients: Sequence[str]) -> UUID | None:
    for address in envelope_recipients:
        found = _VERP.match(address)
        if found:
            return UUID(found[1])
    return None


def _from_original(report: Message) -> UUID | None:
    """The notification named by the returned original message (or its headers)."""
    for part in report.walk():
        content_type = part.get_content_type()
        headers: Message | None = None
        if content_type == "message/rfc822":
            payload = part.get_payload()
            first = payload[0] if isinstance(payload, list) and payload else None
            headers = first if isinstance(first, Message) else None
        elif content_type == "text/rfc822-headers":
            text = part.get_payload(decode=True)
            headers = BytesHeaderParser().parsebytes(text) if isinstance(text, bytes) else None
        if headers is None:
            continue
        named = str(headers.get(NOTIFICATION_HEADER, "")).strip()
        try:
            return UUID(named)
        except ValueError:
            pass
        found = _MESSAGE_ID.search(str(headers.get("Message-ID", "")))
        if found:
            return UUID(found[1])
    return None


class BounceIntake:
    """An SMTP listener for bounces: accepts every message, applies what it can, keeps the rest.

    It answers 250 to all mail it could read or judged worthless, so that the sending server does not
    retry it; only when our database cannot record a report does it answer 451, asking for a retry.
    """

    def __init__(
        self,
        database: Database,
        clock: Callable[[], datetime],
        *,
        host: str,
        port: int,
        max_dead_rows: int,
    ) -> None:
        self._database = database
        self._clock = clock
        self._max_dead_rows = max_dead_rows
        self.host = host
        self.port = port
        self._server: asyncio.Server | None = None
        self._sessions: weakref.WeakSet[SMTP] = weakref.WeakSet()

    @classmethod
    def from_settings(
        cls, settings: NotificationSettings, database: Database, clock: Callable[[], datetime]
    ) -> BounceIntake:
        assert settings.bounce_smtp_port is not None, "the intake is only built when a port is set"
        return cls(
            database,
            clock,
            host=settings.bounce_smtp_host,
            port=settings.bounce_smtp_port,
            max_dead_rows=settings.dead_report_max_rows,
        )

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._session, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]  # the port chosen, when given 0
        _log.info("bounce_intake_listening", host=self.host, port=self.port)

    def _session(self) -> SMTP:
        session = SMTP(self, hostname="orderdesk-bounces", ident="orderdesk bounce intake")
        self._sessions.add(session)
        return session

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        for session in list(self._sessions):
            transport = getattr(session, "transport", None)
            if transport is not None:
                transport.close()
        self._sessions.clear()
        await self._server.wait_closed()
        self._server = None

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        bounce = parse_bounce(content, list(envelope.rcpt_tos))
        log = _log.bind(
            notification_id=str(bounce.notification_id) if bounce.notification_id else None,
            outcome=bounce.outcome.value,
        )
        report = bounce.report()
        if report is None:
            if bounce.outcome is Outcome.UNREADABLE:
                log.warning("bounce_dropped", reason=bounce.raw.get("error"))
            else:
                log.info("bounce_ignored", status=bounce.raw.get("status"))
            return "250 OK"
        try:
            async with self._database.transaction() as connection:
                applied = await apply_reports(
                    connection, Channel.EMAIL, [report], now=self._clock(), max_dead_rows=self._max_dead_rows
                )
        except Exception:
            log.exception("bounce_not_recorded")
            return "451 4.3.0 Could not record the report, try again later"
        dead = {reason.value: count for reason, count in applied.dead.items()}
        log.info("bounce_received", applied=applied.applied, dead=dead, dropped=applied.dropped)
        return "250 OK"
