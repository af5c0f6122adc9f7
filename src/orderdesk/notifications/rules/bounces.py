"""Bounces: delivery status notifications (RFC 3464) that mail servers send back to the VERP envelope
sender, read by a small SMTP listener in the worker (tasks.bounces) and applied to their e-mail
notification. This module reads them; it does no I/O.

A permanent failure (`Action: failed`, `Status: 5.x.x`) makes the notification Failed_Bounced; a delay
or a 4.x.x status changes nothing, since the sending server is still trying. The success reports the
SMTP provider asks for make it Delivered: `Action: delivered`, and also `relayed`, which says the
message went on to a server without DSN, so no later report will come. The notification is found
from the VERP address the report was sent to, else from its Original-Envelope-Id (the ENVID the
provider gave), else from the returned original's headers.
"""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from email.message import Message
from email.parser import BytesHeaderParser
from enum import Enum
from typing import Any
from uuid import UUID

from orderdesk.notifications.models import NOTIFICATION_HEADER, DeliveryReport, EmailStatus

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
