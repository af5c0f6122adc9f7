"""The queries of callbacks: the claim of due ones under a lease, and their outcome written only by
the lease's holder."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.core.db import lock_for_update
from orderdesk.purchases.models import CallbackOutcome, CallbackState, ClaimedCallback, OrderStatus
from orderdesk.purchases.tables import api_client, purchase_order

_order = purchase_order.c


async def claim_callbacks(
    connection: AsyncConnection, now: datetime, until: datetime, limit: int
) -> list[ClaimedCallback]:
    """Due callbacks, each leased to this worker until `until`, with its client's signing secret. A
    worker that dies mid-call loses its lease and the callback is made again."""
    await lock_for_update(connection)
    query = (
        select(
            _order.order_id,
            _order.callback_url,
            _order.status,
            _order.callback_attempts,
            api_client.c.callback_signing_secret,
        )
        .join(api_client, api_client.c.client_id == _order.client_id)
        .where(_order.callback_state == CallbackState.PENDING.value, _order.callback_due_at <= now)
        .order_by(_order.callback_due_at)
        .limit(limit)
        # the order's row only: the client's row is read, not claimed
        .with_for_update(skip_locked=True, of=purchase_order)
    )
    rows = (await connection.execute(query)).all()
    if not rows:
        return []
    lease = str(uuid.uuid4())  # one lease for the claim: written in one statement
    await connection.execute(
        update(purchase_order)
        .where(
            _order.order_id.in_([row.order_id for row in rows]),
            _order.callback_state == CallbackState.PENDING.value,
        )
        .values(callback_lease=lease, callback_due_at=until)
    )
    return [
        ClaimedCallback(
            row.order_id,
            row.callback_url,
            OrderStatus(row.status),
            lease,
            row.callback_attempts,
            row.callback_signing_secret,
        )
        for row in rows
    ]


async def _update_leased(
    connection: AsyncConnection, order_id: int, lease: str, values: dict[str, Any]
) -> bool:
    result = await connection.execute(
        update(purchase_order)
        .where(
            _order.order_id == order_id,
            _order.callback_lease == lease,
            _order.callback_state == CallbackState.PENDING.value,
        )
        .values(**values)
    )
    return result.rowcount == 1


async def update_callback(
    connection: AsyncConnection, order_id: int, lease: str, outcome: CallbackOutcome
) -> bool:
    """Write a call's outcome and give up the lease, unless the lease was lost to another worker
    meanwhile (False then)."""
    values: dict[str, Any] = {
        "callback_attempts": outcome.attempts,
        "callback_lease": None,
        "callback_error": outcome.error,
    }
    if outcome.state is not None:
        values["callback_state"] = outcome.state.value
    if outcome.due_at is not None:
        values["callback_due_at"] = outcome.due_at
    return await _update_leased(connection, order_id, lease, values)


async def release_callback(connection: AsyncConnection, order_id: int, lease: str, due_at: datetime) -> bool:
    """Give up the lease without a call made: the callback is due again at `due_at`."""
    return await _update_leased(
        connection, order_id, lease, {"callback_lease": None, "callback_due_at": due_at}
    )


async def get_callback_target(
    connection: AsyncConnection, order_id: int
) -> tuple[OrderStatus, str | None] | None:
    """The order's status and callback URL, its row locked until commit; None without such an order."""
    await lock_for_update(connection)
    row = (
        await connection.execute(
            select(_order.status, _order.callback_url).where(_order.order_id == order_id).with_for_update()
        )
    ).first()
    return None if row is None else (OrderStatus(row.status), row.callback_url)


async def restart_callback(connection: AsyncConnection, order_id: int, due_at: datetime) -> None:
    """Pending from `due_at` with no call counted, whatever its state was; a lease held is dropped, so
    a call being made meanwhile records nothing."""
    await connection.execute(
        update(purchase_order)
        .where(_order.order_id == order_id)
        .values(
            callback_state=CallbackState.PENDING.value,
            callback_due_at=due_at,
            callback_attempts=0,
            callback_lease=None,
        )
    )
