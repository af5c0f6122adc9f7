"""Telling the client how fulfilment ended: a GET of its callbackUrl with
`fulfillmentStatus=success|failed` (and the `orderId`), retried with a doubling back-off until it
answers 2xx or the attempts are used up. Each call carries the Standard Webhooks headers, signed with
the client's callback signing secret over the request's query string exactly as sent (a GET has no
body), with one `webhook-id` per order.

A callback is leased while it is made, with no database lock held during the call; a worker that
dies mid-call loses the lease and another calls again, so a client may, rarely, hear twice (at least
once).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from orderdesk.core.backoff import Backoff
from orderdesk.core.db import Database
from orderdesk.core.inflight import InFlight
from orderdesk.core.outbound import OutboundClient, OutboundFailure, query_as_sent
from orderdesk.core.webhook_signing import signed_headers
from orderdesk.purchases.models import ClaimedCallback
from orderdesk.purchases.rules.callbacks import callback_message_id, callback_target
from orderdesk.purchases.service import callbacks

IN_FLIGHT = 10
"""Callbacks made at once per worker process: one is claimed only when there is room to call it at
once, so its lease only has to outlast one call (none waits its turn while its lease runs out)."""
LEASE_MARGIN_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class CallbackRules:
    attempts: int
    retry_base_seconds: float
    retry_max_seconds: float
    lease_seconds: float
    timeout_seconds: float
    poll_seconds: float

    @property
    def backoff(self) -> Backoff:
        return Backoff.of_seconds(self.retry_base_seconds, self.retry_max_seconds)


class CallbackWorker:
    """Claims due callbacks for the room there is and makes each in a task of its own: a client whose
    URL hangs holds back its own callback only, never another's."""

    def __init__(
        self,
        database: Database,
        rules: CallbackRules,
        clock: Callable[[], datetime],
        client: OutboundClient,
    ) -> None:
        self._database = database
        self._rules = rules
        self._clock = clock
        self._http = client
        self.in_flight = InFlight("purchase-callback", IN_FLIGHT)
        # The lease must outlast the call it covers, whatever the two settings say.
        self._lease = timedelta(
            seconds=max(rules.lease_seconds, rules.timeout_seconds + LEASE_MARGIN_SECONDS)
        )

    async def step(self) -> float:
        room = self.in_flight.room
        if room == 0:
            return self._rules.poll_seconds  # a call that ends wakes the loop
        now = self._clock()
        async with self._database.transaction() as connection:
            claimed = await callbacks.claim_due(connection, now, now + self._lease, room)
        for callback in claimed:
            self.in_flight.start(self._call(callback))
        return 0.0 if claimed else self._rules.poll_seconds

    async def step_and_settle(self) -> float:
        """One step, then wait for the calls it started (tests step the worker by hand)."""
        sleep = await self.step()
        await self.in_flight.settle()
        return sleep

    async def _call(self, callback: ClaimedCallback) -> None:
        with structlog.contextvars.bound_contextvars(order_id=callback.order_id):
            await self._call_and_record(callback)

    async def _call_and_record(self, callback: ClaimedCallback) -> None:
        target = callback_target(callback.url, callback.order_id, callback.status)
        error: str | None = None
        try:
            headers = signed_headers(
                callback_message_id(callback.order_id),
                self._clock(),
                query_as_sent(target),
                [callback.signing_secret],
            )
            answer = await self._http.get(
                target, deadline_seconds=self._rules.timeout_seconds, headers=headers
            )
            if not answer.is_success:
                error = f"HTTP {answer.status_code}"
        except OutboundFailure as failure:
            error = f"{type(failure).__name__}: {failure}"[:500]
        except asyncio.CancelledError:
            # A stop that could not wait: hand the callback back to be made at once, by us or another.
            with contextlib.suppress(Exception):
                async with self._database.transaction() as connection:
                    await callbacks.hand_back(connection, callback, self._clock())
            raise
        except Exception as failure:  # any failure of one call is that call's, never the loop's
            error = f"{type(failure).__name__}: {failure}"[:500]
        now = self._clock()
        async with self._database.transaction() as connection:
            await callbacks.record_call(
                connection,
                callback,
                error,
                attempts=self._rules.attempts,
                backoff=self._rules.backoff,
                now=now,
            )

    async def aclose(self) -> None:
        await self.in_flight.cancel()
        await self._http.aclose()
