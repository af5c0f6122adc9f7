"""Posting events to subscribers: the delivery worker.

A subscription is claimed under a lease and its events are posted one at a time, in outbox order, by
one task: the next event is posted only after the previous one was delivered or given up, so a
receiver sees the changes in the order they happened. The results of a run of attempts are written
together (one transaction per batch, not per event); a worker killed before writing them loses its
lease, and another posts those events again with the same `webhook-id` (at least once).

A failure stops the run: the subscription waits its back-off before its head event is posted again.
Many subscriptions are posted to side by side (`in_flight`), at most `per_host` of them to one host,
so one slow receiver holds back only its own events."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import structlog

from orderdesk import __version__
from orderdesk.core.backoff import Backoff
from orderdesk.core.db import Database
from orderdesk.core.inflight import InFlight
from orderdesk.core.outbound import AddressPolicy, Answer, OutboundClient, OutboundFailure
from orderdesk.core.webhook_signing import signed_headers
from orderdesk.settings import WebhookSettings
from orderdesk.webhooks.models import ClaimedSubscription, PendingEvent
from orderdesk.webhooks.repository import delivery
from orderdesk.webhooks.repository.delivery import AttemptRecord, RunOutcome
from orderdesk.webhooks.rules import RetryRules, after_failure

_log = structlog.get_logger(__name__)

EXCERPT_CHARS = 500
"""What is kept of a receiver's answer for its owner to read in the deliveries list."""
USER_AGENT = f"orderdesk-webhooks/{__version__}"


@dataclass(frozen=True, slots=True)
class DeliveryRules:
    timeout_seconds: float
    retry: RetryRules
    in_flight: int
    per_host: int
    batch: int
    lease: timedelta
    poll_seconds: float

    @classmethod
    def from_settings(cls, settings: WebhookSettings) -> DeliveryRules:
        return cls(
            timeout_seconds=settings.timeout_seconds,
            retry=RetryRules(
                backoff=Backoff.of_seconds(settings.retry_base_seconds, settings.retry_max_seconds),
                give_up_after=timedelta(seconds=settings.give_up_after_seconds),
                disable_after=timedelta(seconds=settings.disable_after_seconds),
            ),
            in_flight=settings.in_flight,
            per_host=settings.per_host,
            batch=settings.batch,
            # The lease must outlast at least one attempt and the write of its result.
            lease=timedelta(seconds=max(settings.lease_seconds, 2 * settings.timeout_seconds + 5)),
            poll_seconds=settings.poll_seconds,
        )


def excerpt(body: bytes) -> str | None:
    """The start of an answer as text a database stores (no NUL, no broken UTF-8)."""
    if not body:
        return None
    return body[: EXCERPT_CHARS * 4].decode("utf-8", "replace")[:EXCERPT_CHARS].replace("\x00", "\ufffd")


class DeliveryWorker:
    """Claims subscriptions with due events for the room there is, and drains each in a task of its own."""

    def __init__(
        self,
        database: Database,
        rules: DeliveryRules,
        clock: Callable[[], datetime],
        policy: AddressPolicy,
        *,
        max_answer_bytes: int,
        stopping: asyncio.Event | None = None,
    ) -> None:
        self._database = database
        self._rules = rules
        self._clock = clock
        self._https = OutboundClient(policy, max_answer_bytes=max_answer_bytes)
        # Plain http goes only to the operator's own networks, never to a public address.
        self._http = OutboundClient(policy.only_allowed(), max_answer_bytes=max_answer_bytes)
        self._stopping = stopping or asyncio.Event()
        self._hosts: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(rules.per_host)
        )
        self.in_flight = InFlight("webhook-delivery", rules.in_flight)

    async def step(self) -> float:
        room = self.in_flight.room
        if room == 0 or self._stopping.is_set():
            return self._rules.poll_seconds  # a run that ends wakes the loop
        now = self._clock()
        async with self._database.transaction() as connection:
            claimed = await delivery.claim_subscriptions(connection, now, now + self._rules.lease, room)
        for subscription in claimed:
            self.in_flight.start(self._drain(subscription))
        return 0.0 if claimed else self._rules.poll_seconds

    async def step_and_settle(self) -> float:
        """One step, then wait for the runs it started (tests step the worker by hand)."""
        sleep = await self.step()
        await self.in_flight.settle()
        return sleep

    async def _drain(self, subscription: ClaimedSubscription) -> None:
        with structlog.contextvars.bound_contextvars(webhook_subscription_id=str(subscription.id)):
            try:
                await self._post_until_done(subscription)
            except asyncio.CancelledError:
                # A stop that could not wait: hand the subscription back at once; what was posted
                # and not recorded is posted again (at least once).
                with contextlib.suppress(Exception):
                    async with self._database.transaction() as connection:
                        await delivery.release(connection, subscription.id, subscription.lease)
                raise

    async def _post_until_done(self, subscription: ClaimedSubscription) -> None:
        failures = subscription.consecutive_failures
        failing_since = subscription.failing_since
        while True:
            async with self._database.read() as connection:
                events = await delivery.pending_events(connection, subscription.id, self._rules.batch)
            if not events:
                await self._record(subscription, [], RunOutcome(failures, failing_since, None))
                return
            attempts: list[AttemptRecord] = []
            failed: AttemptRecord | None = None
            started = time.monotonic()
            for event in events:
                attempt = await self._attempt(subscription, event)
                attempts.append(attempt)
                if not attempt.delivered:
                    failed = attempt
                    break
                if (
                    self._stopping.is_set()
                    or time.monotonic() - started > self._rules.lease.total_seconds() / 3
                ):
                    break
            now = self._clock()
            if failed is None:
                stopping = self._stopping.is_set()
                renewed = None if stopping else now + self._rules.lease
                if not await self._record(
                    subscription, attempts, RunOutcome(0, None, None, keep_lease_until=renewed)
                ):
                    return
                if stopping:
                    return
                failures, failing_since = 0, None
                continue
            failures += 1
            failing_since = failing_since or failed.attempted_at
            decision = after_failure(
                self._rules.retry,
                now=now,
                event_created_at=failed.event.created_at,
                consecutive_failures=failures,
                failing_since=failing_since,
                status_code=failed.status_code,
                error=failed.error or "",
            )
            await self._record(
                subscription,
                attempts,
                RunOutcome(
                    failures,
                    failing_since,
                    decision.retry_at,
                    give_up_head=decision.give_up_event,
                    disable_reason=decision.disable_reason,
                ),
            )
            return

    async def _record(
        self, subscription: ClaimedSubscription, attempts: list[AttemptRecord], outcome: RunOutcome
    ) -> bool:
        async with self._database.transaction() as connection:
            held = await delivery.record_run(
                connection, subscription.id, subscription.lease, attempts, outcome, self._clock()
            )
        if not held:
            _log.warning("webhook_lease_lost", attempts=len(attempts))
        if outcome.disable_reason is not None and held:
            _log.warning("webhook_subscription_disabled", reason=outcome.disable_reason)
        return held

    async def _attempt(self, subscription: ClaimedSubscription, event: PendingEvent) -> AttemptRecord:
        sent_at = self._clock()
        # The signature's time is the wall clock's, whatever clock schedules the work: receivers
        # refuse a timestamp far from their own clock (replays).
        headers = signed_headers(event.message_id, datetime.now(UTC), event.body, subscription.secrets)
        headers |= {"content-type": "application/json", "user-agent": USER_AGENT}
        client = self._https if subscription.url.startswith("https:") else self._http
        started = time.monotonic()
        answer: Answer | None = None
        error: str | None = None
        async with self._hosts[urlsplit(subscription.url).hostname or ""]:
            try:
                answer = await client.post(
                    subscription.url,
                    content=event.body,
                    headers=headers,
                    deadline_seconds=self._rules.timeout_seconds,
                )
            except OutboundFailure as failure:
                error = f"{type(failure).__name__}: {failure}"[:1000]
            except Exception as failure:  # one attempt's failure is that attempt's, never the loop's
                error = f"{type(failure).__name__}: {failure}"[:1000]
        duration_ms = int((time.monotonic() - started) * 1000)
        if answer is not None and not answer.is_success:
            error = f"HTTP {answer.status_code}"
        return AttemptRecord(
            event=event,
            attempted_at=sent_at,
            status_code=None if answer is None else answer.status_code,
            duration_ms=duration_ms,
            response_excerpt=None if answer is None else excerpt(answer.body),
            error=None if error is None else error.replace("\x00", "\ufffd"),
            delivered=answer is not None and answer.is_success,
        )

    async def aclose(self) -> None:
        await self.in_flight.cancel()
        await self._https.aclose()
        await self._http.aclose()
