"""E-mail messages as RFC 5322 text, the same for the outbox and for SMTP.

Whatever was stored, no value can add a header of its own: a subject is written on one line (line
breaks become spaces, other control characters too), and an address or domain that holds a control
character is not written at all (`UnsafeHeader`), since no rewriting of it would still be the address.
"""

from __future__ import annotations

import base64
from datetime import datetime
from email.header import Header
from email.message import EmailMessage as MimeMessage
from email.policy import SMTP, SMTPUTF8
from email.utils import format_datetime

from orderdesk.core.text import has_control_characters, replace_control_characters
from orderdesk.notifications.models import NOTIFICATION_HEADER, EmailContentType, EmailStatus
from orderdesk.notifications.providers.base import OutgoingEmail, SendResult


class UnsafeHeader(ValueError):
    """An address (or the Message-ID domain) holds a control character: the message is not sent."""

    def __init__(self, header: str) -> None:
        super().__init__(f"the {header} header would hold a control character")
        self.header = header


def unsafe_result(error: UnsafeHeader) -> SendResult:
    """Final, as every attempt would be refused alike: a bad recipient address is the recipient's
    invalid format, anything else (our sender, our domain) a plain failure."""
    status = EmailStatus.FAILED_INVALID_EMAIL_FORMAT if error.header == "To" else EmailStatus.FAILED
    return SendResult(status=status, error=f"cannot render the message: {error}")


def _check_addresses(message: OutgoingEmail, domain: str) -> None:
    for header, value in (("To", message.to_address), ("From", message.from_address), ("Message-ID", domain)):
        if has_control_characters(value):
            raise UnsafeHeader(header)


def one_line(text: str) -> str:
    """A header text on one line with no control character left in it."""
    return replace_control_characters(" ".join(text.splitlines()))


def message_id(message: OutgoingEmail, domain: str) -> str:
    """Stable per notification, so a resent message can be recognised as the same one."""
    return f"<{message.notification_id}@{domain}>"


def to_mime(message: OutgoingEmail, *, now: datetime, domain: str) -> MimeMessage:
    """UnsafeHeader for an address with a control character; see the module's docstring."""
    _check_addresses(message, domain)
    mime = MimeMessage()
    mime["From"] = message.from_address
    mime["To"] = message.to_address
    mime["Subject"] = one_line(message.subject)
    mime["Date"] = format_datetime(now)
    mime["Message-ID"] = message_id(message, domain)
    mime[NOTIFICATION_HEADER] = str(message.notification_id)
    subtype = "html" if message.content_type is EmailContentType.HTML else "plain"
    mime.set_content(message.body, subtype=subtype)
    for attachment in message.attachments:
        maintype, _, file_subtype = attachment.mime_type.partition("/")
        mime.add_attachment(
            attachment.content, maintype=maintype, subtype=file_subtype, filename=attachment.filename
        )
    return mime


def render(message: OutgoingEmail, *, now: datetime, domain: str) -> bytes:
    """The message as bytes ready for SMTP DATA or a .eml file.

    The standard library's header classes parse every header they are given, which costs more than
    the whole SMTP exchange; most notifications are plain ASCII addresses with a short subject, so
    those are written directly. Anything unusual (non-ASCII addresses) goes through `to_mime`.
    UnsafeHeader for an address with a control character.
    """
    _check_addresses(message, domain)
    ascii_addresses = message.from_address.isascii() and message.to_address.isascii()
    if message.attachments or not ascii_addresses:
        # A multipart message: the standard library writes the parts, their boundaries and encodings.
        policy = SMTP if ascii_addresses else SMTPUTF8
        return to_mime(message, now=now, domain=domain).as_bytes(policy=policy)
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
    single_line = one_line(text)
    if single_line.isascii() and len(single_line) <= 900:
        return single_line
    return Header(single_line, "utf-8").encode(maxlinelen=76, linesep="\r\n")


def _base64_lines(data: bytes) -> bytes:
    encoded = base64.b64encode(data)
    return b"".join(encoded[start : start + 76] + b"\r\n" for start in range(0, len(encoded), 76))
