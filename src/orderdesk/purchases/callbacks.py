"""Telling the client how fulfilment ended: a GET of its callbackUrl with
`fulfillmentStatus=success|failed` (and the `orderId`), retried with a doubling back-off until it
answers 2xx or the attempts are used up.

A callback is leased while it is made, with no database lock held during the call; a worker that
dies mid-call loses the lease and another calls again, so a client may, rarely, hear twice (at least
once).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode, urlsplit, urlunsplit

import httpx
import structlog

from orderdesk.core.db import Database
from orderdesk.purchases import repository
from orderdesk.purchases.models import CallbackState, OrderStatus

_log = structlog.get_logger(__name__)
IN_FLIGHT = 10
"""Callbacks claimed, and made at once, per step: a claimed callback is called at once, so its lease
only has to outlast one call (none waits its turn while its lease runs out)."""


@dataclass(frozen=True, slots=True)
class CallbackRules:
    attempts: int
    retry_base_seconds: float
    retry_max_seconds: float
    lease_seconds: float
    timeout_seconds: float
    poll_seconds: float

    def delay(self, attempts_made: int) -> timedelta:
        seconds = min(self.retry_base_seconds * 2 ** (attempts_made - 1), self.retry_max_seconds)
        return timedelta(seconds=seconds)


def callback_target(url: str, order_id: int, status: OrderStatus) -> str:
    """The URL with `fulfillmentStatus` and `orderId` added after its own query, left as it was."""
    parts = urlsplit(url)
    ours = urlencode(
        {"fulfillmentStatus": "success" if status is OrderStatus.PROCESSED else "failed", "orderId": order_id}
    )
    return urlunsplit(parts._replace(query=f"{parts.query}&{ours}" if parts.query else ours))


class CallbackWorker:
    def __init__(self, database: Database, rules: CallbackRules, clock: Callable[[], datetime]) -> None:
        self._database = database
        self._rules = rules
        self._clock = clock
        self._http = httpx.AsyncClient(timeout=rules.timeout_seconds, follow_redirects=False)

    async def step(self) -> float:
        now = self._clock()
        async with self._database.transaction() as connection:
            claimed = await repository.claim_callbacks(
                connection, now, now + timedelta(seconds=self._rules.lease_seconds), IN_FLIGHT
            )
        if not claimed:
            return self._rules.poll_seconds
        await asyncio.gather(*(self._call(*callback) for callback in claimed))
        return 0.0

    async def _call(self, order_id: int, url: str, status: str, lease: str, attempts: int) -> None:
        target = callback_target(url, order_id, OrderStatus(status))
        error: str | None = None
        try:
            response = await self._http.get(target)
            if not response.is_success:
                error = f"HTTP {response.status_code}"
        except Exception as failure:  # any failure of one call is that call's, never the batch's
            error = f"{type(failure).__name__}: {failure}"[:500]
        made = attempts + 1
        now = self._clock()
        if error is None:
            values: dict[str, object] = {
                "callback_state": CallbackState.DELIVERED.value,
                "callback_error": None,
            }
        elif made >= self._rules.attempts:
            values = {"callback_state": CallbackState.ABANDONED.value, "callback_error": error}
            _log.warning("purchase_callback_abandoned", order_id=order_id, attempts=made, error=error)
        else:
            values = {"callback_due_at": now + self._rules.delay(made), "callback_error": error}
        async with self._database.transaction() as connection:
            await repository.record_callback(
                connection, order_id, lease, callback_attempts=made, callback_lease=None, **values
            )

    async def aclose(self) -> None:
        await self._http.aclose()
