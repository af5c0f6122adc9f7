"""The dispatch loop of one channel: claim a batch of due notifications, send them through the
provider with bounded concurrency, and write each result down soon after it arrives.

Results are written in small groups while the batch is still being sent, so a worker that is killed
mid-batch has recorded nearly everything it sent; what it claimed and did not record goes back to
the queue when its lease runs out. Nothing is lost; a message can only be sent twice if the worker
dies in the instant between the provider's acceptance and the next group write.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar
from uuid import UUID

import structlog
from aiolimiter import AsyncLimiter

from orderdesk.core.db import Database
from orderdesk.notifications import queue, transitions
from orderdesk.notifications.models import Channel, EmailStatus, SmsStatus
from orderdesk.notifications.providers.base import EmailMessage, Provider, SendResult, SmsMessage
from orderdesk.notifications.queue import ClaimedNotification, Templates
from orderdesk.notifications.sending_window import SendingWindow
from orderdesk.notifications.transitions import Change

_log = structlog.get_logger(__name__)
MessageT = TypeVar("MessageT", EmailMessage, SmsMessage)

FLUSH_SECONDS = 0.1
FLUSH_SIZE = 200


@dataclass(frozen=True, slots=True)
class DispatchSettings:
    batch: int = 500
    concurrency: int = 20
    lease: timedelta = timedelta(minutes=5)
    poll_seconds: float = 1.0
    retry_base: timedelta = timedelta(seconds=10)
    retry_max: timedelta = timedelta(minutes=15)
    rate_limit: float = 0.0
    """Messages per second through this provider from this process; 0 for no limit."""


def email_message(notification: ClaimedNotification, templates: Templates) -> EmailMessage:
    template = templates.email
    assert template is not None, "an order with e-mail notifications has an e-mail template"
    return EmailMessage(
        notification_id=notification.id,
        from_address=template.from_address,
        to_address=notification.address,
        subject=notification.customized_subject or template.subject,
        body=notification.customized_body or template.body,
        content_type=template.content_type,
    )


def sms_message(notification: ClaimedNotification, templates: Templates) -> SmsMessage:
    template = templates.sms
    assert template is not None, "an order with SMS notifications has an SMS template"
    return SmsMessage(
        notification_id=notification.id,
        sender=template.sender_number,
        mobile_number=notification.address,
        body=notification.customized_body or template.body,
    )


class Dispatcher(Generic[MessageT]):
    def __init__(
        self,
        channel: Channel,
        provider: Provider[MessageT],
        build: Callable[[ClaimedNotification, Templates], MessageT],
        *,
        database: Database,
        clock: Callable[[], datetime],
        settings: DispatchSettings,
        sms_window: SendingWindow | None = None,
    ) -> None:
        self.channel = channel
        self.provider: Provider[MessageT] = provider
        self._build: Callable[[ClaimedNotification, Templates], MessageT] = build
        self._database = database
        self._clock = clock
        self._settings = settings
        self._sms_window = sms_window
        self._limiter = AsyncLimiter(settings.rate_limit, 1) if settings.rate_limit > 0 else None

    async def step(self) -> float:
        """One batch; returns how long the loop may sleep (0 when there may be more to do)."""
        now = self._clock()
        async with self._database.transaction() as connection:
            paused = await queue.paused_until(connection, self.provider.name, now)
            if paused is not None:
                return min((paused - now).total_seconds(), self._settings.poll_seconds * 10)
            daytime_open = self._sms_window.is_open(now) if self._sms_window else True
            token, claimed = await queue.claim_notifications(
                connection,
                self.channel,
                now=now,
                limit=self._settings.batch,
                lease=self._settings.lease,
                daytime_open=daytime_open,
            )
            templates = await queue.load_templates(connection, queue.order_ids(claimed))
        if not claimed:
            return self._settings.poll_seconds
        await self._send_batch(token, claimed, templates, lease_ends=now + self._settings.lease)
        return 0.0

    async def _send_batch(
        self,
        token: UUID,
        claimed: list[ClaimedNotification],
        templates: dict[UUID, Templates],
        *,
        lease_ends: datetime,
    ) -> None:
        writer = _ResultWriter(self.channel, self._database, self._clock, token)
        gate = asyncio.Semaphore(self._settings.concurrency)
        # Stop sending this batch at 90% of the lease, well before another worker may take it over.
        stop_at = lease_ends - self._settings.lease / 10
        resume_at: list[datetime] = []

        async def send_one(notification: ClaimedNotification) -> None:
            async with gate:
                now = self._clock()
                if resume_at or now >= stop_at:
                    writer.add(self._release(notification, resume_at[0] if resume_at else now))
                    return
                message = self._build(notification, templates[notification.order_id])
                if self._limiter is not None:
                    await self._limiter.acquire()
                try:
                    result = await self.provider.send(message)
                except Exception as error:  # a provider bug must not strand the batch
                    _log.exception("provider_send_failed", provider=self.provider.name)
                    result = SendResult.retry(f"{type(error).__name__}: {error}")
                if result.throttle_seconds is not None and not resume_at:
                    resume_at.append(self._clock() + timedelta(seconds=result.throttle_seconds))
                    await self._pause(resume_at[0])
                writer.add(self._change(notification, result, resume_at[0] if resume_at else None))

        writer.start()
        try:
            await asyncio.gather(*(send_one(notification) for notification in claimed))
        finally:
            await writer.close()

    def _change(
        self, notification: ClaimedNotification, result: SendResult, resume_at: datetime | None
    ) -> Change:
        if result.status is not None:
            return Change(
                notification.id,
                result.status,
                provider_reference=result.reference,
                error=result.error,
            )
        retry_at = resume_at or self._clock() + self._backoff(notification.attempts)
        return Change(notification.id, self._new, error=result.error, due_at=retry_at)

    def _release(self, notification: ClaimedNotification, due_at: datetime) -> Change:
        return Change(notification.id, self._new, due_at=due_at)

    @property
    def _new(self) -> EmailStatus | SmsStatus:
        return EmailStatus.NEW if self.channel is Channel.EMAIL else SmsStatus.NEW

    def _backoff(self, attempts: int) -> timedelta:
        delay: timedelta = self._settings.retry_base * (2 ** max(attempts - 1, 0))
        return min(delay, self._settings.retry_max)

    async def _pause(self, until: datetime) -> None:
        _log.warning("provider_paused", provider=self.provider.name, until=until.isoformat())
        async with self._database.transaction() as connection:
            await queue.pause_provider(connection, self.provider.name, until)


class _ResultWriter:
    """Writes results in groups: whichever comes first of FLUSH_SIZE results or FLUSH_SECONDS."""

    def __init__(
        self, channel: Channel, database: Database, clock: Callable[[], datetime], token: UUID
    ) -> None:
        self._channel = channel
        self._database = database
        self._clock = clock
        self._token = token
        self._pending: list[Change] = []
        self._ready = asyncio.Event()
        self._closing = False
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    def add(self, change: Change) -> None:
        self._pending.append(change)
        if len(self._pending) >= FLUSH_SIZE:
            self._ready.set()

    async def close(self) -> None:
        self._closing = True
        self._ready.set()
        if self._task is not None:
            await self._task

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._ready.wait(), FLUSH_SECONDS)
            self._ready.clear()
            if self._pending:
                await self._flush()
            if self._closing and not self._pending:
                return

    async def _flush(self) -> None:
        changes, self._pending = self._pending, []
        token = self._token
        for attempt in range(3):
            try:
                async with self._database.transaction() as connection:
                    await transitions.apply(
                        connection,
                        self._channel,
                        changes,
                        now=self._clock(),
                        guard=lambda row, _change: row.lease_token == token,
                    )
                return
            except Exception:
                _log.exception("result_write_failed", attempt=attempt + 1, results=len(changes))
                await asyncio.sleep(0.5 * (attempt + 1))
        # The rows stay Sending under our lease; they are sent again once it runs out.
        _log.error("results_dropped_until_lease_ends", results=len(changes))
