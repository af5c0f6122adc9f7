"""Callbacks as the callback worker makes them: claimed under a lease, and each call's outcome
recorded (delivered, abandoned, or due again after the back-off) by the lease's holder only; and a
callback made due again by an operator."""

from __future__ import annotations

from datetime import datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.core import topics
from orderdesk.core.backoff import Backoff
from orderdesk.core.db import on_commit
from orderdesk.core.wakeup import after_commit
from orderdesk.observability import metrics
from orderdesk.purchases import repository
from orderdesk.purchases.errors import OrderNotFound
from orderdesk.purchases.models import CallbackState, ClaimedCallback
from orderdesk.purchases.rules.callbacks import callback_outcome, check_callback_to_make

_log = structlog.get_logger(__name__)


async def claim_due(
    connection: AsyncConnection, now: datetime, until: datetime, limit: int
) -> list[ClaimedCallback]:
    """Up to `limit` callbacks due at `now`, leased until `until`."""
    return await repository.callbacks.claim_callbacks(connection, now, until, limit)


async def record_call(
    connection: AsyncConnection,
    callback: ClaimedCallback,
    error: str | None,
    *,
    attempts: int,
    backoff: Backoff,
    now: datetime,
) -> None:
    """Record one call (failed with `error`, or answered 2xx) of `attempts` allowed; nothing is written
    when the lease was lost to another worker meanwhile. Each failed call is logged with its attempt
    number, so that a client's broken URL shows at its first failure, not only after the last."""
    outcome = callback_outcome(error, callback.attempts + 1, attempts, backoff, now)
    abandoned = outcome.state is CallbackState.ABANDONED
    if abandoned or error is not None:
        _log.warning(
            "purchase_callback_abandoned" if abandoned else "purchase_callback_failed",
            order_id=callback.order_id,
            attempt=outcome.attempts,
            attempts=attempts,
            error=error,
            retry_at=outcome.due_at.isoformat() if outcome.due_at else None,
        )
    await repository.callbacks.update_callback(connection, callback.order_id, callback.lease, outcome)
    on_commit(connection, lambda: metrics.purchase_callback(outcome.state))


async def hand_back(connection: AsyncConnection, callback: ClaimedCallback, now: datetime) -> None:
    """Give the callback back uncalled, due at once, for this worker or another."""
    await repository.callbacks.release_callback(connection, callback.order_id, callback.lease, now)


async def call_back_again(connection: AsyncConnection, order_id: int, now: datetime) -> None:
    """Make the order's callback due now, whoever's order it is and whatever became of the calls so
    far (an operator's action, once a client has mended its receiver): a new round of calls, with the
    attempts and back-off of every round. A call being made at that moment may still reach the client,
    which then hears twice (as after a worker's lease runs out: at least once).

    OrderNotFound; NoCallbackToMake (409) without a callback URL, or before fulfilment has ended."""
    target = await repository.callbacks.get_callback_target(connection, order_id)
    if target is None:
        raise OrderNotFound(f"No order {order_id}.")
    status, url = target
    check_callback_to_make(status, url)
    await repository.callbacks.restart_callback(connection, order_id, now)
    await after_commit(connection, topics.PURCHASE_CALLBACKS)
