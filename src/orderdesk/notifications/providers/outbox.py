"""The default provider: messages are written under the home instead of leaving the machine.

E-mail becomes one RFC 5322 `.eml` file per notification in a Maildir (`HOME/outbox/email/new/`), named
by the notification id so that a resend replaces rather than duplicates; SMS become JSON lines in
`HOME/outbox/sms.jsonl`. Writing the file is delivery, so the outbox reports `Delivered` at once.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from orderdesk.notifications.models import EmailStatus, SmsStatus
from orderdesk.notifications.providers.base import OutgoingEmail, SendResult, SmsMessage
from orderdesk.notifications.providers.mime import UnsafeHeader, render, unsafe_result


class EmailOutbox:
    name = "email-outbox"

    def __init__(self, home: Path, clock: Callable[[], datetime], domain: str = "orderdesk.local") -> None:
        self.maildir = home / "outbox" / "email"
        for folder in ("tmp", "new", "cur"):
            (self.maildir / folder).mkdir(parents=True, exist_ok=True)
        self._clock = clock
        self._domain = domain

    async def send(self, message: OutgoingEmail) -> SendResult:
        try:
            data = render(message, now=self._clock(), domain=self._domain)
        except UnsafeHeader as error:
            return unsafe_result(error)
        except Exception as error:  # e.g. a line break in the subject: every attempt would fail alike
            return SendResult(status=EmailStatus.FAILED, error=f"cannot render the message: {error}")
        await asyncio.to_thread(self._write, f"{message.notification_id}.eml", data)
        return SendResult(status=EmailStatus.DELIVERED, reference=str(message.notification_id))

    def _write(self, name: str, data: bytes) -> None:
        """Maildir delivery: write in tmp/, then move into new/ in one step."""
        temporary = self.maildir / "tmp" / name
        with temporary.open("wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, self.maildir / "new" / name)

    async def aclose(self) -> None:
        return None


class SmsOutbox:
    name = "sms-outbox"

    def __init__(self, home: Path, clock: Callable[[], datetime]) -> None:
        self.path = home / "outbox" / "sms.jsonl"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._clock = clock

    async def send(self, message: SmsMessage) -> SendResult:
        line = json.dumps(
            {
                "id": str(message.notification_id),
                "at": self._clock().isoformat(),
                "from": message.sender,
                "to": message.mobile_number,
                "body": message.body,
            },
            ensure_ascii=False,
        )
        await asyncio.to_thread(self._append, (line + "\n").encode())
        return SendResult(status=SmsStatus.DELIVERED, reference=str(message.notification_id))

    def _append(self, data: bytes) -> None:
        """One write with O_APPEND: lines from several workers never interleave."""
        descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(descriptor, data)
        finally:
            os.close(descriptor)

    async def aclose(self) -> None:
        return None
