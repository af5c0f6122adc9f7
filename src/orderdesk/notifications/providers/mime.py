"""E-mail messages as RFC 5322 text, the same for the outbox and for SMTP."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage as MimeMessage
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
