"""The dispatch loop of one channel: claim a batch of due notifications, send them through the
provider with bounded concurrency, and write each result down soon after it arrives.

Results are written in small groups while the batch is still being sent, so a worker that is killed
mid-batch has recorded nearly everything it sent; what it claimed and did not record goes back to
the queue within seconds, once its heartbeat goes stale (core.heartbeat), or at the latest when its
lease runs out. Nothing is lost; a message can only be sent twice if the worker dies in the instant
between the provider's acceptance and the next group write.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar
from uuid import UUID

import structlog
from aiolimiter import AsyncLimiter

from orderdesk.core.activity import report
from orderdesk.core.backoff import Backoff
from orderdesk.core.db import Database
from orderdesk.core.heartbeat import Heartbeat
from orderdesk.core.leases import Lease
from orderdesk.core.redaction import redacted_addresses
from orderdesk.notifications.models import (
    Change,
    Channel,
    ClaimedNotification,
    EmailStatus,
    ProviderError,
    ProviderErrorKind,
    SmsStatus,
    Templates,
)
from orderdesk.notifications.providers.base import (
    ComposedEmail,
    OutgoingEmail,
    Provider,
    SendResult,
    SmsMessage,
)
from orderdesk.notifications.repository import queue
from orderdesk.notifications.rules.sending_window import SendingWindow
from orderdesk.notifications.service.results import record_results
from orderdesk.observability import metrics

_log = structlog.get_logger(__name__)
MessageT = TypeVar("MessageT", OutgoingEmail, SmsMessage, ComposedEmail)

FLUSH_SECONDS = 0.1
FLUSH_SIZE = 200
MAX_ERROR_LENGTH = 2000


def clean_text(text: str | None) -> str | None:
    """Provider replies can hold what no database stores (NUL, lone surrogates from undecodable
    bytes); a result that cannot be written would be sent again, so make it storable."""
    if text is None:
        return None
    storable = text.encode("utf-8", errors="replace").decode("utf-8").replace("\x00", "\ufffd")
    return storable[:MAX_ERROR_LENGTH]


_BACKOFF = Backoff(timedelta(seconds=10), timedelta(minutes=15))


@dataclass(frozen=True, slots=True)
class DispatchSettings:
    batch: int = 500
    concurrency: int = 20
    lease: timedelta = timedelta(minutes=5)
    poll_seconds: float = 1.0
    backoff: Backoff = _BACKOFF
    rate_limit: float = 0.0
    """Messages per second through this provider from this process; 0 for no limit."""


def email_message(notification: ClaimedNotification, templates: Templates) -> OutgoingEmail:
    template = templates.email
    assert template is not None, "an order with e-mail notifications has an e-mail template"
    return OutgoingEmail(
        notification_id=notification.id,
        from_address=template.from_address,
        to_address=notification.address,
        subject=_either(notification.customized_subject, template.subject),
        body=_either(notification.customized_body, template.body),
        content_type=template.content_type,
    )


def composed_email_message(notification: ClaimedNotification, templates: Templates) -> ComposedEmail:
    """The e-mail with its attachments still to be fetched (by providers.attachments)."""
    template = templates.email
    assert template is not None, "a composed order has an e-mail template"
    return ComposedEmail(
        email=email_message(notification, templates),
        attachments=template.attachments,
        attempt=notification.attempts,
    )


def sms_message(notification: ClaimedNotification, templates: Templates) -> SmsMessage:
    template = templates.sms
    assert template is not None, "an order with SMS notifications has an SMS template"
    return SmsMessage(
        notification_id=notification.id,
        sender=template.sender_number,
        mobile_number=notification.address,
        body=_either(notification.customized_body, template.body),
    )


def _either(customized: str | None, template: str) -> str:
    """The text made for this recipient (which may be empty) if there is one, else the template."""
    return customized if customized is not None else template


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
        stopping: asyncio.Event | None = None,
        heartbeat: Heartbeat | None = None,
        composed: bool | None = None,
    ) -> None:
        self.channel = channel
        self.composed = composed
        """E-mail only: True claims only composed e-mails, False only the others (their own lanes)."""
        self.provider: Provider[MessageT] = provider
        self._build: Callable[[ClaimedNotification, Templates], MessageT] = build
        self._database = database
        self._clock = clock
        self._settings = settings
        self._sms_window = sms_window
        self._limiter = AsyncLimiter(settings.rate_limit, 1) if settings.rate_limit > 0 else None
        self.stopping = stopping or asyncio.Event()
        """Set when the worker shuts down: messages not yet started go back to the queue."""
        self.heartbeat = heartbeat
        """This worker process's: named in claims, so that others take over if it dies; while it is
        not known alive the dispatcher claims and starts nothing (others may have its rows)."""

    async def step(self) -> float:
        """One batch; returns how long the loop may sleep (0 when there may be more to do)."""
        now = self._clock()
        if self.stopping.is_set() or not self._alive():
            return self._settings.poll_seconds
        # Outside the daytime window only SMS whose order says Anytime may go.
        window_closed = self._sms_window is not None and not self._sms_window.is_open(now)
        async with self._database.transaction() as connection:
            paused = await queue.paused_until(connection, self.provider.name, now)
            if paused is not None:
                report(f"{self.provider.name} paused until {paused.isoformat()}")
                return min((paused - now).total_seconds(), self._settings.poll_seconds * 10)
            token, claimed = await queue.claim_notifications(
                connection,
                self.channel,
                now=now,
                limit=self._settings.batch,
                lease=self._settings.lease,
                worker=self.heartbeat.id if self.heartbeat is not None else None,
                anytime_only=window_closed,
                composed=self.composed,
            )
            templates = await queue.load_templates(connection, queue.order_ids(claimed))
        metrics.notifications_entered(self.channel.value, [self.channel.sending.value] * len(claimed))
        if not claimed:
            if window_closed:
                report("outside the SMS sending window: only SMS ordered for any time go")
            return self._settings.poll_seconds
        report(f"sending {len(claimed)} {self.channel.value} notifications through {self.provider.name}")
        await _Batch(self, token, claimed, templates, lease_ends=now + self._settings.lease).run()
        return 0.0

    def _change(
        self, notification: ClaimedNotification, result: SendResult, resume_at: datetime | None
    ) -> Change:
        error = clean_text(result.error)
        if result.status is not None:
            return Change(
                notification.id,
                result.status,
                provider_reference=clean_text(result.reference),
                error=error,
                attachment_bytes=result.attachment_bytes,
            )
        retry_at = resume_at or self._clock() + self._settings.backoff.delay(notification.attempts)
        return Change(
            notification.id,
            self._new,
            error=error,
            due_at=retry_at,
            attachment_bytes=result.attachment_bytes,
        )

    def _alive(self) -> bool:
        return self.heartbeat is None or self.heartbeat.alive()

    def _release(self, notification: ClaimedNotification, due_at: datetime) -> Change:
        return Change(notification.id, self._new, due_at=due_at)

    @property
    def _new(self) -> EmailStatus | SmsStatus:
        return self.channel.new

    async def _pause(self, until: datetime) -> None:
        _log.warning("provider_paused", provider=self.provider.name, until=until.isoformat())
        async with self._database.transaction() as connection:
            await queue.pause_provider(connection, self.provider.name, until)


class _Batch(Generic[MessageT]):
    """Sending one claimed batch: bounded concurrency, the lease kept alive while it runs, results
    handed to the writer as they come, and no message started once the batch must stop."""

    def __init__(
        self,
        dispatcher: Dispatcher[MessageT],
        token: UUID,
        claimed: list[ClaimedNotification],
        templates: dict[UUID, Templates],
        *,
        lease_ends: datetime,
    ) -> None:
        self.dispatcher: Dispatcher[MessageT] = dispatcher
        self.token = token
        self.claimed = claimed
        self.templates = templates
        self.lease = Lease(
            dispatcher._database,
            lambda connection, until: queue.renew_notification_lease(
                connection, dispatcher.channel, token, until
            ),
            length=dispatcher._settings.lease,
            ends=lease_ends,
            clock=dispatcher._clock,
            name=f"{dispatcher.channel.value}-batch",
        )
        self.resume_at: datetime | None = None
        self.writer = _ResultWriter(dispatcher.channel, dispatcher._database, dispatcher._clock, token, self)
        self._gate = asyncio.Semaphore(dispatcher._settings.concurrency)

    @property
    def lease_ends(self) -> datetime:
        return self.lease.ends

    async def run(self) -> None:
        # The lease is kept alive while the batch runs, so a slow provider does not let another
        # worker take over rows still being sent.
        self.writer.start()
        try:
            async with self.lease:
                await asyncio.gather(*(self._send_one(notification) for notification in self.claimed))
        finally:
            await self.writer.close()

    async def _send_one(self, notification: ClaimedNotification) -> None:
        """Never raises: whatever goes wrong becomes this notification's result."""
        with structlog.contextvars.bound_contextvars(
            order_id=str(notification.order_id), notification_id=str(notification.id)
        ):
            await self._send_one_logged(notification)

    async def _send_one_logged(self, notification: ClaimedNotification) -> None:
        dispatcher = self.dispatcher
        try:
            async with self._gate:
                if self._must_not_start():
                    if not self.writer.failing:
                        self.writer.add(
                            dispatcher._release(notification, self.resume_at or dispatcher._clock())
                        )
                    return
                if dispatcher._limiter is not None:
                    await dispatcher._limiter.acquire()
                result = await self._attempt(notification)
                if result.error is not None:
                    # Every failed try, with its number: a broken relay shows at once, not after the last.
                    _log.warning(
                        "notification_send_failed",
                        provider=dispatcher.provider.name,
                        attempt=notification.attempts,
                        retry=result.status is None,
                        status=None if result.status is None else result.status.value,
                        error=clean_text(result.error),
                    )
                if result.throttle_seconds is not None and self.resume_at is None:
                    self.resume_at = dispatcher._clock() + timedelta(seconds=result.throttle_seconds)
                    await dispatcher._pause(self.resume_at)
                self.writer.add(dispatcher._change(notification, result, self.resume_at))
        except asyncio.CancelledError:
            raise
        except Exception as error:
            _log.exception("dispatch_failed", notification_id=str(notification.id))
            retry = SendResult.retry(f"{type(error).__name__}: {error}")
            self.writer.add(dispatcher._change(notification, retry, self.resume_at))

    def _must_not_start(self) -> bool:
        dispatcher = self.dispatcher
        return (
            self.resume_at is not None
            or dispatcher.stopping.is_set()
            or not dispatcher._alive()
            or self.writer.failing
            # Nothing in the lease's last tenth, nor once it is lost: another worker may have the rows.
            or not self.lease.held(margin=dispatcher._settings.lease / 10)
        )

    async def _attempt(self, notification: ClaimedNotification) -> SendResult:
        dispatcher = self.dispatcher
        try:
            message = dispatcher._build(notification, self.templates[notification.order_id])
        except Exception as error:  # the stored texts cannot make a message: no retry will help
            return SendResult(status=dispatcher.channel.failed, error=f"{type(error).__name__}: {error}")
        try:
            result: SendResult = await dispatcher.provider.send(message)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # a provider bug must not strand the batch
            _log.exception("provider_send_failed", provider=dispatcher.provider.name)
            retry = SendResult.retry(f"{type(error).__name__}: {error}")
            self._failed(ProviderErrorKind.EXCEPTION, retry.error)
            return retry
        self._observe(notification, result)
        return result

    def _observe(self, notification: ClaimedNotification, result: SendResult) -> None:
        """The provider's answer in the metrics (and an error kept for the operator): an error by its
        kind, or how late the message went."""
        kind = _error_kind(result)
        if kind is not None:
            self._failed(kind, result.error)
            return
        due = self.templates[notification.order_id].send_at
        if due is not None:
            late = self.dispatcher._clock() - due
            metrics.handed_to_provider(self.dispatcher.channel.value, late.total_seconds())

    def _failed(self, kind: ProviderErrorKind, error: str | None) -> None:
        """Count the provider's error, and hand it to the writer, which keeps the batch's latest one
        with the next results it writes (nothing is written for it alone)."""
        name = self.dispatcher.provider.name
        metrics.provider_error(name, kind.value)
        message = redacted_addresses(clean_text(error) or f"{kind.value} failure, no message")
        self.writer.provider_error = ProviderError(name, kind, message, self.dispatcher._clock())


def _error_kind(result: SendResult) -> ProviderErrorKind | None:
    """How the provider failed the message; None when it took it."""
    if result.throttle_seconds is not None:
        return ProviderErrorKind.THROTTLED
    if result.status is None:
        return ProviderErrorKind.TEMPORARY
    if not result.status.counts_as_succeeded:
        return ProviderErrorKind.PERMANENT
    return None


class _ResultWriter:
    """Writes results in groups: whichever comes first of FLUSH_SIZE results or FLUSH_SECONDS.

    A group the database refuses is written again row by row, so that one unstorable result cannot
    take the others with it; what still fails is retried until the batch's lease runs out (then the
    rows go back to the queue, to be sent again: never lost). While writes fail the batch starts no
    new message, since its result could not be kept.
    """

    def __init__(
        self,
        channel: Channel,
        database: Database,
        clock: Callable[[], datetime],
        token: UUID,
        batch: _Batch[Any],
    ) -> None:
        self._channel = channel
        self._database = database
        self._clock = clock
        self._token = token
        self._batch = batch
        self._pending: list[Change] = []
        self._ready = asyncio.Event()
        self._closing = False
        self._task: asyncio.Task[None] | None = None
        self.failing = False
        self.provider_error: ProviderError | None = None
        """The provider's latest error not yet written: goes with the next results written."""

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
                changes, self._pending = self._pending, []
                await self._write_until_stored(changes)
            if self._closing and not self._pending:
                return

    async def _write_until_stored(self, changes: list[Change]) -> None:
        delay = 0.2
        while changes:
            changes = await self._write(changes)
            if not changes:
                self.failing = False
                return
            self.failing = True
            if self._clock() >= self._batch.lease_ends:
                # The rows stay Sending; once the lease has run out they are claimed and sent again.
                _log.error("results_dropped_lease_ended", results=len(changes))
                return
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

    async def _write(self, changes: list[Change]) -> list[Change]:
        """Write the group, or failing that each change alone; returns the changes not written."""
        if await self._apply(changes):
            return []
        if len(changes) == 1:
            return changes
        return [change for change in changes if not await self._apply([change])]

    async def _apply(self, changes: list[Change]) -> bool:
        token = self._token
        error = self.provider_error
        try:
            async with self._database.transaction() as connection:
                result = await record_results(
                    connection,
                    self._channel,
                    changes,
                    lease_token=token,
                    now=self._clock(),
                    provider_error=error,
                )
        except Exception:
            _log.exception("result_write_failed", results=len(changes))
            return False
        if self.provider_error is error:
            self.provider_error = None
        for change, row in result.refused:
            _log.info(
                "result_refused",
                notification_id=str(change.id),
                status=change.status.value,
                current=row.status.value if row is not None else None,
                reason="lease lost or status final",
            )
        return True
