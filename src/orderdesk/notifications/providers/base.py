"""What every provider takes and gives back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, TypeVar
from uuid import UUID

from orderdesk.notifications.models import Attachment, EmailContentType, NotificationStatus


@dataclass(frozen=True, slots=True)
class AttachmentFile:
    """An attachment as fetched, ready to be written into the message."""

    filename: str
    mime_type: str
    content: bytes


@dataclass(frozen=True, slots=True)
class OutgoingEmail:
    """One e-mail as a provider takes it (mime.py renders it as the standard library's EmailMessage)."""

    notification_id: UUID
    from_address: str
    to_address: str
    subject: str
    body: str
    content_type: EmailContentType
    attachments: tuple[AttachmentFile, ...] = ()


@dataclass(frozen=True, slots=True)
class ComposedEmail:
    """A composed e-mail before its attachments are fetched: what its own dispatch lane sends.
    `attempt` counts this one (1 for the first), since a failing download is retried only so often."""

    email: OutgoingEmail
    attachments: tuple[Attachment, ...]
    attempt: int


@dataclass(frozen=True, slots=True)
class SmsMessage:
    notification_id: UUID
    sender: str
    mobile_number: str
    body: str


@dataclass(frozen=True, slots=True)
class SendResult:
    """The provider's answer to one message.

    `status` None means "not sent, try again later" (a temporary failure); `throttle_seconds` means
    the provider asked for a pause, which every worker then honours.
    """

    status: NotificationStatus | None
    reference: str | None = None
    error: str | None = None
    throttle_seconds: float | None = None
    attachment_bytes: int | None = None
    """A composed e-mail's attachments as fetched, whatever became of the message."""

    @classmethod
    def retry(cls, error: str, *, throttle_seconds: float | None = None) -> SendResult:
        return cls(status=None, error=error, throttle_seconds=throttle_seconds)


MessageT_contra = TypeVar("MessageT_contra", OutgoingEmail, SmsMessage, ComposedEmail, contravariant=True)


class Provider(Protocol[MessageT_contra]):
    name: str

    async def send(self, message: MessageT_contra) -> SendResult: ...

    async def aclose(self) -> None: ...
