"""Posting events to subscribers: the delivery worker.

A subscription is claimed under a lease and its events are posted one at a time, in outbox order, by
one task: the next event is posted only after the previous one was delivered or given up, so a
receiver sees the changes in the order they happened. The lease is renewed in the background while
the run lasts (core.leases); no attempt starts unless the lease outlasts it, and a lost lease stops
the run at once, its results unwritten (the new holder posts those events again).

The results of a run of attempts are written together (one transaction per batch of up to `batch`
events, not per event); a worker killed before writing them loses its lease, and another posts those
events again with the same `webhook-id` (at least once). A stop that cannot wait writes what was
delivered before it hands the subscription back.

A failure stops the run: the subscription waits its back-off before its head event is posted again.
Many subscriptions are posted to side by side (`in_flight`), at most `per_host` runs to one host: a
subscription claimed while its host has that many is handed back for a poll interval, so a slow host
never fills the room other hosts' subscriptions need."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import structlog

from orderdesk import __version__
from orderdesk.core.backoff import Backoff
from orderdesk.core.db import Database
from orderdesk.core.inflight import InFlight
from orderdesk.core.leases import Lease
from orderdesk.core.outbound import AddressPolicy, Answer, OutboundClient, OutboundFailure, TargetRefused
from orderdesk.core.text import storable
from orderdesk.core.webhook_signing import signed_headers
from orderdesk.observability import metrics
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
    return storable(body[: EXCERPT_CHARS * 4].decode("utf-8", "replace")[:EXCERPT_CHARS])


def host_of(url: str) -> str:
    """The host whose runs `per_host` bounds (a URL that names none was refused when subscribed)."""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


@dataclass
class _Run:
    """A subscription's run: the failures it stands at, the attempts not yet handed to a write, and
    the write of the last full batch while it is under way."""

    failures: int
    failing_since: datetime | None
    attempts: list[AttemptRecord] = field(default_factory=list)
    writing: asyncio.Task[bool] | None = None

    async def written(self) -> bool:
        """Wait for the write under way, if any; False when it found the lease lost."""
        if self.writing is None:
            return True
        # Shielded: a cancelled run still lets the write of what it delivered finish, and waits for
        # it again (the task is kept until it has ended).
        held = await asyncio.shield(self.writing)
        self.writing = None
        return held


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
        self.in_flight = InFlight("webhook-delivery", rules.in_flight)
        # An attempt started now must end (its deadline) before the lease could: a few seconds more
        # for writing its result.
        self._attempt_margin = timedelta(seconds=rules.timeout_seconds + 2)

    async def step(self) -> float:
        room = self.in_flight.room
        if room == 0 or self._stopping.is_set():
            return self._rules.poll_seconds  # a run that ends wakes the loop
        now = self._clock()
        async with self._database.transaction() as connection:
            claimed = await delivery.claim_subscriptions(connection, now, now + self._rules.lease, room)
        running = self.in_flight.held()
        held_off: list[ClaimedSubscription] = []
        for subscription in claimed:
            host = host_of(subscription.url)
            if running.get(host, 0) >= self._rules.per_host:
                held_off.append(subscription)
                continue
            running[host] = running.get(host, 0) + 1
            self.in_flight.start(self._drain(subscription, now + self._rules.lease), key=host)
        if held_off:
            async with self._database.transaction() as connection:
                await delivery.hold_off(
                    connection,
                    [subscription.id for subscription in held_off],
                    held_off[0].lease,
                    now + timedelta(seconds=self._rules.poll_seconds),
                )
        return 0.0 if len(held_off) < len(claimed) else self._rules.poll_seconds

    async def step_and_settle(self) -> float:
        """One step, then wait for the runs it started (tests step the worker by hand)."""
        sleep = await self.step()
        await self.in_flight.settle()
        return sleep

    async def _drain(self, subscription: ClaimedSubscription, lease_ends: datetime) -> None:
        run = _Run(subscription.consecutive_failures, subscription.failing_since)
        lease = Lease(
            self._database,
            delivery.lease_renewal(subscription.id, subscription.lease),
            length=self._rules.lease,
            ends=lease_ends,
            clock=self._clock,
            name="webhook-subscription",
        )
        with structlog.contextvars.bound_contextvars(webhook_subscription_id=str(subscription.id)):
            try:
                async with lease:
                    outcome = await self._post_until_done(subscription, lease, run)
            except asyncio.CancelledError:
                # A stop that could not wait: write what was delivered and hand the subscription back
                # at once; an attempt cut short is made again (at least once).
                with contextlib.suppress(Exception):
                    if await run.written() and not lease.lost:
                        await self._record(subscription, run.attempts, self._outcome(run))
                raise
            except Exception:
                # The database failed the run: the lease runs out and another worker posts again
                # whatever was not written; a batch's write under way is let end first.
                with contextlib.suppress(Exception):
                    await run.written()
                raise
            # Written once the renewal has stopped, so that no renewal finds the lease given up.
            if outcome is not None and not lease.lost:
                await self._record(subscription, run.attempts, outcome)

    async def _post_until_done(
        self, subscription: ClaimedSubscription, lease: Lease, run: _Run
    ) -> RunOutcome | None:
        """Post the subscription's events in order until none is left, one fails, the worker stops or
        the lease may not outlast another attempt; what is left to write (None: nothing, the lease
        was lost).

        A full batch delivered is written while the next one is posted (the next read starts after
        it), so that the database's round trips do not hold up the posting; each write is awaited
        before the next starts, and before the run's last."""
        after: int | None = None
        while True:
            if self._stopping.is_set() or not lease.held(self._attempt_margin):
                break
            async with self._database.read() as connection:
                events = await delivery.pending_events(
                    connection, subscription.id, self._rules.batch, after=after
                )
            ended = len(events) < self._rules.batch  # all caught up: a new event wakes the loop
            for event in events:
                attempt = await self._attempt(subscription, event)
                run.attempts.append(attempt)
                if not attempt.delivered or self._stopping.is_set() or not lease.held(self._attempt_margin):
                    ended = True
                    break
            if ended:
                break
            if not await run.written():
                return None
            attempts, run.attempts = run.attempts, []
            run.failures, run.failing_since = 0, None
            run.writing = asyncio.create_task(
                self._record(subscription, attempts, RunOutcome(0, None, None, release=False))
            )
            after = events[-1].seq
        return self._outcome(run) if await run.written() else None

    def _outcome(self, run: _Run) -> RunOutcome:
        """What the run's attempts not yet handed to a write leave the subscription in (the lease
        given up with them)."""
        if not run.attempts:
            return RunOutcome(run.failures, run.failing_since, None)
        last = run.attempts[-1]
        if last.delivered:
            return RunOutcome(0, None, None)
        # Only the last attempt of a run can fail; a delivery before it in the run ended the streak.
        recovered = len(run.attempts) > 1
        failures = 1 if recovered else run.failures + 1
        failing_since = last.attempted_at if recovered else (run.failing_since or last.attempted_at)
        decision = after_failure(
            self._rules.retry,
            now=self._clock(),
            event_created_at=last.event.created_at,
            consecutive_failures=failures,
            failing_since=failing_since,
            status_code=last.status_code,
            error=last.error or "",
        )
        return RunOutcome(
            failures,
            failing_since,
            decision.retry_at,
            give_up_head=decision.give_up_event,
            disable_reason=decision.disable_reason,
        )

    async def _record(
        self, subscription: ClaimedSubscription, attempts: list[AttemptRecord], outcome: RunOutcome
    ) -> bool:
        """Write `attempts` and `outcome`; False when the lease was lost meanwhile."""
        async with self._database.transaction() as connection:
            held = await delivery.record_run(
                connection, subscription.id, subscription.lease, attempts, outcome, self._clock()
            )
        if not held:
            _log.warning("webhook_lease_lost", attempts=len(attempts))
            return False
        if outcome.disable_reason is not None:
            _log.warning("webhook_subscription_disabled", reason=outcome.disable_reason)
        return True

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
        refused = False
        try:
            answer = await client.post(
                subscription.url,
                content=event.body,
                headers=headers,
                deadline_seconds=self._rules.timeout_seconds,
            )
        except OutboundFailure as failure:
            refused = isinstance(failure, TargetRefused)
            error = f"{type(failure).__name__}: {failure}"[:1000]
        except Exception as failure:  # one attempt's failure is that attempt's, never the loop's
            error = f"{type(failure).__name__}: {failure}"[:1000]
        duration_ms = int((time.monotonic() - started) * 1000)
        delivered = answer is not None and answer.is_success
        if answer is not None and not delivered:
            error = f"HTTP {answer.status_code}"
        metrics.webhook_attempt("delivered" if delivered else "refused" if refused else "failed")
        return AttemptRecord(
            event=event,
            attempted_at=sent_at,
            status_code=None if answer is None else answer.status_code,
            duration_ms=duration_ms,
            response_excerpt=None if answer is None else excerpt(answer.body),
            error=None if error is None else storable(error),
            delivered=delivered,
        )

    async def aclose(self) -> None:
        await self.in_flight.cancel()
        await self._https.aclose()
        await self._http.aclose()
