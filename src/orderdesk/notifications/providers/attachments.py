"""Composed e-mail: fetch each attachment from its URL when the e-mail is sent, then hand the message,
attachments and all, to the configured e-mail provider (SMTP or the outbox).

Every download goes through the outbound address policy (core.outbound: addresses checked when the
call is made, redirects not followed) with an overall deadline and a size cap. What becomes of the
notification (rules.attachments):
- the URL does not give the file (a 4xx, a refused address, an expired signature): Failed_InvalidSasUrl,
  final;
- no answer in time, a 5xx, no connection: sent again later, and Failed_InvalidSasUrl once the
  attempts are spent;
- a file past the size cap, attachments past the message cap, or a relay refusing the message as too
  large: Failed_PayloadTooLarge.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

import structlog

from orderdesk.core.outbound import AnswerTooLarge, OutboundClient, OutboundFailure, TargetRefused
from orderdesk.notifications.models import Attachment, EmailStatus
from orderdesk.notifications.providers.base import (
    AttachmentFile,
    ComposedEmail,
    OutgoingEmail,
    Provider,
    SendResult,
)
from orderdesk.notifications.rules.attachments import (
    DownloadVerdict,
    download_verdict,
    is_size_refusal,
    sas_expiries,
)

_log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class AttachmentLimits:
    max_bytes: int
    message_max_bytes: int
    deadline_seconds: float
    max_attempts: int


class _NotFetched(Exception):
    """An attachment that did not come; `result` is what the notification gets."""

    def __init__(self, result: SendResult) -> None:
        super().__init__(result.error)
        self.result = result


class ComposedEmailSender:
    """A Provider of composed e-mails over the provider of plain ones (whose name it shares, so a pause
    the relay asked for holds both lanes)."""

    def __init__(
        self,
        inner: Provider[OutgoingEmail],
        client: OutboundClient,
        limits: AttachmentLimits,
        clock: Callable[[], datetime],
    ) -> None:
        self.inner = inner
        self.name = inner.name
        self._client = client
        self._limits = limits
        self._clock = clock

    async def send(self, message: ComposedEmail) -> SendResult:
        files: list[AttachmentFile] = []
        size = 0
        try:
            for attachment in message.attachments:
                content = await self._fetch(attachment, message.attempt)
                size += len(content)
                if size > self._limits.message_max_bytes:
                    return SendResult(
                        status=EmailStatus.FAILED_PAYLOAD_TOO_LARGE,
                        error=f"the attachments are larger than {self._limits.message_max_bytes} bytes",
                        attachment_bytes=size,
                    )
                files.append(AttachmentFile(attachment.filename, attachment.mime_type, content))
        except _NotFetched as failure:
            return replace(failure.result, attachment_bytes=size or None)
        result = await self.inner.send(replace(message.email, attachments=tuple(files)))
        if result.status is not None and result.status.is_final and is_size_refusal(result.error):
            result = replace(result, status=EmailStatus.FAILED_PAYLOAD_TOO_LARGE)
        return replace(result, attachment_bytes=size)

    async def _fetch(self, attachment: Attachment, attempt: int) -> bytes:
        now = self._clock()
        if any(expiry is None or expiry <= now for expiry in sas_expiries(attachment.url)):
            raise _NotFetched(self._invalid(attachment, "the signature has expired (se)"))
        try:
            answer = await self._client.get(attachment.url, deadline_seconds=self._limits.deadline_seconds)
        except AnswerTooLarge:
            raise _NotFetched(
                SendResult(
                    status=EmailStatus.FAILED_PAYLOAD_TOO_LARGE,
                    error=f"{attachment.filename} is larger than {self._limits.max_bytes} bytes",
                )
            ) from None
        except TargetRefused as error:
            raise _NotFetched(self._invalid(attachment, str(error))) from None
        except OutboundFailure as error:
            raise _NotFetched(self._transient(attachment, str(error), attempt)) from None
        verdict = download_verdict(answer.status_code)
        if verdict is DownloadVerdict.INVALID:
            raise _NotFetched(self._invalid(attachment, f"the URL answered {answer.status_code}"))
        if verdict is DownloadVerdict.RETRY:
            raise _NotFetched(self._transient(attachment, f"the URL answered {answer.status_code}", attempt))
        return answer.body

    def _invalid(self, attachment: Attachment, why: str) -> SendResult:
        _log.info("attachment_refused", filename=attachment.filename, error=why)
        return SendResult(status=EmailStatus.FAILED_INVALID_SAS_URL, error=f"{attachment.filename}: {why}")

    def _transient(self, attachment: Attachment, why: str, attempt: int) -> SendResult:
        if attempt >= self._limits.max_attempts:
            return self._invalid(attachment, f"{why} (attempt {attempt} of {self._limits.max_attempts})")
        _log.warning(
            "attachment_unavailable",
            filename=attachment.filename,
            error=why,
            attempt=attempt,
            attempts=self._limits.max_attempts,
        )
        return SendResult.retry(f"{attachment.filename}: {why}")

    async def aclose(self) -> None:
        # The plain lane owns (and closes) the inner provider.
        await self._client.aclose()
