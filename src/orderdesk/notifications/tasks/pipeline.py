"""The worker loops of the notification family, built from the settings.

- scheduler: claims due orders and carries them out (send condition, recipients, notifications);
- email / sms: dispatch loops, one per channel, each with its provider;
- composed email: the dispatch lane of composed e-mails (attachments fetched at send time), apart
  from the plain e-mail lane so that a slow download holds back no other e-mail;
- expiry: fails what ran out of time, every minute;
- dead reports: deletes dead delivery reports past their retention or beyond the cap, every minute;
- status feed retention: deletes status feed entries past their retention, in batches, every ten
  minutes (at once again while a batch was full);
- result minutes: deletes the per-minute counts of sent and failed notifications once older than the
  console's chart, every ten minutes.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path

import structlog

from orderdesk.core import topics
from orderdesk.core.activity import report
from orderdesk.core.backoff import Backoff
from orderdesk.core.db import Database
from orderdesk.core.heartbeat import Heartbeat
from orderdesk.core.inflight import InFlight
from orderdesk.core.leases import Lease
from orderdesk.core.outbound import OutboundClient
from orderdesk.core.wakeup import Wakeups, after_commit
from orderdesk.core.worker import Loop
from orderdesk.notifications.models import Channel, ClaimedOrder
from orderdesk.notifications.providers.attachments import AttachmentLimits, ComposedEmailSender
from orderdesk.notifications.providers.base import ComposedEmail, OutgoingEmail, Provider, SmsMessage
from orderdesk.notifications.providers.conditions import SendConditionChecker
from orderdesk.notifications.providers.kannel import KannelProvider
from orderdesk.notifications.providers.outbox import EmailOutbox, SmsOutbox
from orderdesk.notifications.providers.smtp import SmtpProvider
from orderdesk.notifications.repository import queue
from orderdesk.notifications.rules.expansion import ExpansionRules
from orderdesk.notifications.rules.sending_window import SendingWindow
from orderdesk.notifications.service import expiry, reports, results, shipments
from orderdesk.notifications.tasks.dispatch import (
    Dispatcher,
    DispatchSettings,
    composed_email_message,
    email_message,
    sms_message,
)
from orderdesk.notifications.tasks.processing import process_order
from orderdesk.settings import NotificationSettings, OutboundSettings

_log = structlog.get_logger(__name__)

CHANNEL_TOPICS = {Channel.EMAIL: topics.NOTIFICATION_EMAIL, Channel.SMS: topics.NOTIFICATION_SMS}
EXPIRY_INTERVAL_SECONDS = 60.0
STATUS_FEED_RETENTION_INTERVAL_SECONDS = 600.0
ORDER_CONCURRENCY = 10
"""Orders worked on at once per worker process (each in its own task, claimed as room frees up)."""
ORDERS_PER_CREATOR = ORDER_CONCURRENCY // 2
"""Of those, the most one organisation may have: its orders waiting on slow send conditions (up to
their deadline each) leave room for everybody else's."""


def email_provider(
    settings: NotificationSettings, home: Path, clock: Callable[[], datetime]
) -> Provider[OutgoingEmail]:
    if settings.email_provider == "smtp":
        return SmtpProvider.from_settings(settings, clock)
    return EmailOutbox(home, clock)


def sms_provider(
    settings: NotificationSettings, home: Path, clock: Callable[[], datetime]
) -> Provider[SmsMessage]:
    if settings.sms_provider == "kannel":
        return KannelProvider.from_settings(settings, home)
    return SmsOutbox(home, clock)


@dataclass
class NotificationPipeline:
    """Everything the notification workers need, and one `step` per loop (tests call them directly)."""

    database: Database
    settings: NotificationSettings
    clock: Callable[[], datetime]
    wakeups: Wakeups
    email: Dispatcher[OutgoingEmail]
    sms: Dispatcher[SmsMessage]
    composed: Dispatcher[ComposedEmail]
    checker: SendConditionChecker
    rules: ExpansionRules
    stopping: asyncio.Event
    orders: InFlight
    loops: list[Loop] = field(default_factory=list)
    heartbeat: Heartbeat | None = None
    """This worker process's, named in claims (core.heartbeat); None when none runs (tests)."""
    _ready: set[Channel] = field(default_factory=set, init=False)
    """Channels that orders finished since the last announcement got notifications on."""

    @classmethod
    def build(
        cls,
        database: Database,
        settings: NotificationSettings,
        home: Path,
        clock: Callable[[], datetime],
        wakeups: Wakeups,
        *,
        outbound: OutboundSettings,
        email: Provider[OutgoingEmail] | None = None,
        sms: Provider[SmsMessage] | None = None,
        stopping: asyncio.Event | None = None,
        heartbeat: Heartbeat | None = None,
    ) -> NotificationPipeline:
        stopping = stopping or asyncio.Event()
        window = SendingWindow(
            settings.sms_window_start_hour, settings.sms_window_end_hour, settings.sms_window_time_zone
        )
        common = DispatchSettings(
            batch=settings.worker_dispatch_batch,
            concurrency=settings.worker_concurrency,
            lease=timedelta(seconds=settings.worker_lease_seconds),
            poll_seconds=settings.worker_poll_seconds,
            backoff=Backoff.of_seconds(settings.retry_base_seconds, settings.retry_max_seconds),
        )
        email_sender = email or email_provider(settings, home, clock)
        attachments = ComposedEmailSender(
            email_sender,
            OutboundClient(
                outbound.policy,
                max_answer_bytes=settings.attachment_max_bytes,
                max_connections=settings.composed_concurrency,
            ),
            AttachmentLimits(
                max_bytes=settings.attachment_max_bytes,
                message_max_bytes=settings.attachment_message_max_bytes,
                deadline_seconds=settings.attachment_timeout_seconds,
                max_attempts=settings.attachment_max_attempts,
            ),
            clock,
        )
        pipeline = cls(
            database=database,
            settings=settings,
            clock=clock,
            wakeups=wakeups,
            email=Dispatcher(
                Channel.EMAIL,
                email_sender,
                email_message,
                database=database,
                clock=clock,
                settings=replace(common, rate_limit=settings.email_rate_limit),
                stopping=stopping,
                heartbeat=heartbeat,
                composed=False,
            ),
            composed=Dispatcher(
                Channel.EMAIL,
                attachments,
                composed_email_message,
                database=database,
                clock=clock,
                settings=replace(
                    common,
                    batch=settings.composed_batch,
                    concurrency=settings.composed_concurrency,
                    rate_limit=settings.email_rate_limit,
                ),
                stopping=stopping,
                heartbeat=heartbeat,
                composed=True,
            ),
            sms=Dispatcher(
                Channel.SMS,
                sms or sms_provider(settings, home, clock),
                sms_message,
                database=database,
                clock=clock,
                settings=replace(common, rate_limit=settings.sms_rate_limit),
                sms_window=window,
                stopping=stopping,
                heartbeat=heartbeat,
            ),
            checker=SendConditionChecker(
                OutboundClient(outbound.policy, max_answer_bytes=outbound.max_answer_bytes),
                settings.condition_timeout_seconds,
            ),
            rules=ExpansionRules(
                time_to_live=timedelta(hours=settings.notification_ttl_hours), sms_window=window
            ),
            stopping=stopping,
            heartbeat=heartbeat,
            orders=InFlight("notification-order", ORDER_CONCURRENCY),
        )
        pipeline.loops = [
            Loop("notification-scheduler", pipeline.schedule, in_flight=pipeline.orders),
            Loop("notification-email", pipeline.email.step),
            Loop("notification-sms", pipeline.sms.step),
            Loop("notification-composed-email", pipeline.composed.step),
            Loop("notification-expiry", pipeline.expire),
            Loop("notification-dead-reports", pipeline.prune_dead_reports),
            Loop("notification-status-feed-retention", pipeline.prune_status_feed),
            Loop("notification-result-minutes", pipeline.prune_result_minutes),
        ]
        wakeups.attach(database)
        wakeups.subscribe(topics.NOTIFICATION_ORDERS, pipeline.loops[0].wake)
        wakeups.subscribe(CHANNEL_TOPICS[Channel.EMAIL], pipeline.loops[1].wake)
        wakeups.subscribe(CHANNEL_TOPICS[Channel.SMS], pipeline.loops[2].wake)
        wakeups.subscribe(CHANNEL_TOPICS[Channel.EMAIL], pipeline.loops[3].wake)
        return pipeline

    async def schedule(self) -> float:
        """Claim due orders for the room there is and start each in a task of its own; sleep until the
        next one is due (or the poll interval, or until an order in flight ends and makes room).

        Claiming only for free room means every claimed order starts at once (its lease runs only
        while it is worked on), and one slow send condition holds back only its own order."""
        await self._announce(self._channels_ready())
        room = self.orders.room
        poll = self.settings.worker_poll_seconds
        if room == 0:
            return poll
        now = self.clock()
        # Asked first, as it costs the database a fraction of a claim (the fair share reads each
        # creator's earliest orders): every order that ends wakes this loop, and most find nothing
        # due. A fifth of the database's time under a steady load went to claims that found nothing.
        async with self.database.read() as connection:
            next_due = await queue.next_order_due(connection)
        if next_due is None:
            return poll
        if next_due > now:
            return min((next_due - now).total_seconds(), poll)
        async with self.database.transaction() as connection:
            claims = await queue.claim_due_orders(
                connection,
                now=now,
                limit=min(room, self.settings.worker_order_batch),
                lease=timedelta(seconds=self.settings.worker_lease_seconds),
                worker=self.heartbeat.id if self.heartbeat is not None else None,
                per_creator=ORDERS_PER_CREATOR,
                creator_room={
                    creator: max(0, ORDERS_PER_CREATOR - held) for creator, held in self.orders.held().items()
                },
            )
        for claim in claims:
            self.orders.start(self._order_task(claim), key=claim.order.creator)
        if claims:
            report(f"processing {len(claims)} orders")
            return 0.0
        # Due, yet none to take: locked by another worker's claim, or its creator's share is full.
        # Never 0 here, so as not to spin.
        return 0.05

    async def settle(self) -> None:
        """Wait for the orders in flight, and tell the dispatch loops about what they stored."""
        await self.orders.settle()
        await self._announce(self._channels_ready())

    def _channels_ready(self) -> set[Channel]:
        channels, self._ready = self._ready, set()
        return channels

    async def _order_task(self, claim: ClaimedOrder) -> None:
        channels = await self._carry_out(claim)
        # Only now: `_channels_ready` may have replaced the set while the order was carried out.
        self._ready.update(channels)

    async def _carry_out(self, claim: ClaimedOrder) -> frozenset[Channel]:
        """Process one claimed order; a failure hands it back for a later attempt, never loses it, and
        so does a stop that cannot wait for it."""
        with structlog.contextvars.bound_contextvars(order_id=str(claim.order.id)):
            return await self._carry_out_order(claim)

    async def _carry_out_order(self, claim: ClaimedOrder) -> frozenset[Channel]:
        lease = timedelta(seconds=self.settings.worker_lease_seconds)
        if self.clock() >= claim.lease_ends - lease / 10:
            return frozenset()  # its lease nearly ran out before it started: another worker may have it
        kept = Lease(
            self.database,
            lambda connection, until: queue.renew_order_lease(connection, claim, until),
            length=lease,
            ends=claim.lease_ends,
            clock=self.clock,
            name=f"order-{claim.order.id}",
        )
        try:
            async with kept:
                processed = await process_order(
                    self.database,
                    claim,
                    now=self.clock(),
                    rules=self.rules,
                    checker=self.checker,
                    condition_retry_delay=timedelta(seconds=self.settings.condition_retry_delay_seconds),
                )
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                async with self.database.transaction() as connection:
                    await queue.release_order(connection, claim, now=self.clock())
            raise
        except Exception:
            backoff = Backoff.of_seconds(self.settings.retry_base_seconds, self.settings.retry_max_seconds)
            delay = backoff.delay(claim.processing_attempts + 1)
            _log.exception(
                "order_processing_failed", order_id=str(claim.order.id), retry_in=delay.total_seconds()
            )
            async with self.database.transaction() as connection:
                await queue.retry_order(connection, claim, now=self.clock(), until=self.clock() + delay)
            return frozenset()
        _log.info("order_processed", order_id=str(claim.order.id), outcome=processed.outcome)
        return processed.channels

    async def expire(self) -> float:
        now = self.clock()
        grace = timedelta(seconds=self.settings.ttl_grace_seconds)
        done = 0
        for channel in Channel:
            async with self.database.transaction() as connection:
                done += await expiry.expire(connection, channel, now=now, grace=grace)
        return 0.0 if done else EXPIRY_INTERVAL_SECONDS

    async def prune_dead_reports(self) -> float:
        """Delete a batch of dead delivery reports that are past retention or beyond the cap; at once
        again while there are more, else in a minute."""
        async with self.database.transaction() as connection:
            removed = await reports.prune_dead_reports(
                connection,
                now=self.clock(),
                retention=timedelta(hours=self.settings.dead_report_retention_hours),
                max_rows=self.settings.dead_report_max_rows,
            )
        if removed:
            _log.info("dead_reports_pruned", removed=removed)
            return 0.0
        return EXPIRY_INTERVAL_SECONDS

    async def prune_status_feed(self) -> float:
        """Delete a batch of status feed entries past their retention, each batch in a transaction of
        its own; at once again while a batch was full, else in ten minutes."""
        async with self.database.transaction() as connection:
            removed = await shipments.prune_status_feed(
                connection,
                now=self.clock(),
                retention=timedelta(days=self.settings.status_feed_retention_days),
            )
        if removed:
            _log.info("status_feed_pruned", removed=removed)
        if removed >= shipments.STATUS_FEED_RETENTION_BATCH:
            return 0.0
        return STATUS_FEED_RETENTION_INTERVAL_SECONDS

    async def prune_result_minutes(self) -> float:
        async with self.database.transaction() as connection:
            await results.prune_result_minutes(connection, now=self.clock())
        return STATUS_FEED_RETENTION_INTERVAL_SECONDS

    async def _announce(self, channels: set[Channel]) -> None:
        if not channels:
            return
        async with self.database.transaction() as connection:
            for channel in channels:
                await after_commit(connection, CHANNEL_TOPICS[channel])

    async def run_until_idle(self, max_rounds: int = 1000) -> None:
        """Run every step until none finds work (tests: a deterministic "let the workers work")."""
        for _ in range(max_rounds):
            busy = (await self.schedule()) == 0.0
            await self.settle()
            for step in (
                self.email.step,
                self.sms.step,
                self.composed.step,
                self.expire,
                self.prune_dead_reports,
                self.prune_status_feed,
                self.prune_result_minutes,
            ):
                busy |= (await step()) == 0.0
            if not busy:
                return
        raise RuntimeError("the notification pipeline did not settle")

    async def aclose(self) -> None:
        await self.orders.cancel()  # none is left behind: each hands its order back
        await self.email.provider.aclose()
        await self.sms.provider.aclose()
        await self.composed.provider.aclose()
        await self.checker.aclose()
