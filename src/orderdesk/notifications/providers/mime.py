"""E-mail messages as RFC 5322 text, the same for the outbox and for SMTP."""

from __future__ import annotations

import base64
from datetime import datetime
from email.header import Header
from email.message import EmailMessage as MimeMessage
from email.policy import SMTPUTF8
from email.utils import format_datetime

from orderdesk.notifications.models import EmailContentType
from orderdesk.notifications.providers.base import EmailMessage

NOTIFICATION_HEADER = "X-Orderdesk-Notification-Id"


def message_id(message: EmailMessage, domain: str) -> str:
    """Stable per notification, so a resent message can be recognised as the same one."""
    return f"<{message.notification_id}@{domain}>"


def to_mime(message: EmailMessage, *, now: datetime, domain: str) -> MimeMessage:
    mime = MimeMessage()
    mime["From"] = message.from_address
    mime["To"] = message.to_address
    mime["Subject"] = message.subject
    mime["Date"] = format_datetime(now)
    mime["Message-ID"] = message_id(message, domain)
    mime[NOTIFICATION_HEADER] = str(message.notification_id)
    subtype = "html" if message.content_type is EmailContentType.HTML else "plain"
    mime.set_content(message.body, subtype=subtype)
    return mime


def render(message: EmailMessage, *, now: datetime, domain: str) -> bytes:
    """The message as bytes ready for SMTP DATA or a .eml file.

    The standard library's header classes parse every header they are given, which costs more than
    the whole SMTP exchange; most notifications are plain ASCII addresses with a short subject, so
    those are written directly. Anything unusual (non-ASCII addresses) goes through `to_mime`.
    """
    if not (message.from_address.isascii() and message.to_address.isascii()):
        return to_mime(message, now=now, domain=domain).as_bytes(policy=SMTPUTF8)
    subtype = "html" if message.content_type is EmailContentType.HTML else "plain"
    body = message.body.replace("\r\n", "\n").replace("\r", "\n")
    if body.isascii() and all(len(line) <= 998 for line in body.split("\n")):
        encoding, payload = "7bit", body.replace("\n", "\r\n").encode("ascii")
    else:
        encoding, payload = "base64", _base64_lines(body.replace("\n", "\r\n").encode("utf-8"))
    headers = [
        ("From", message.from_address),
        ("To", message.to_address),
        ("Subject", _encoded_word(message.subject)),
        ("Date", format_datetime(now)),
        ("Message-ID", message_id(message, domain)),
        (NOTIFICATION_HEADER, str(message.notification_id)),
        ("MIME-Version", "1.0"),
        ("Content-Type", f'text/{subtype}; charset="utf-8"'),
        ("Content-Transfer-Encoding", encoding),
    ]
    head = "".join(f"{name}: {value}\r\n" for name, value in headers).encode("ascii")
    if not payload.endswith(b"\r\n"):
        payload += b"\r\n"
    return head + b"\r\n" + payload


def _encoded_word(text: str) -> str:
    """RFC 2047 for a header that is not plain ASCII or would need folding; as is otherwise."""
    single_line = " ".join(text.splitlines())
    if single_line.isascii() and len(single_line) <= 900:
        return single_line
    return Header(single_line, "utf-8").encode(maxlinelen=76, linesep="\r\n")


def _base64_lines(data: bytes) -> bytes:
    encoded = base64.b64encode(data)
    return b"".join(encoded[start : start + 76] + b"\r\n" for start in range(0, len(encoded), 76))
