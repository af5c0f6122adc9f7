"""Recording what the providers answered to the messages of a claimed batch.

A result is written only while the batch that sent the message still holds its claim (the lease
token the claim gave its rows): a worker whose lease ran out has lost the rows to another, and its
late results are refused. A final status is never overwritten (repository.transitions). The last
error a provider answered with goes along with the results, in their transaction: no write of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.notifications.models import RESULT_MINUTES_KEPT, Change, Channel, ProviderError
from orderdesk.notifications.repository import provider_errors, result_minutes, transitions
from orderdesk.notifications.repository.transitions import Applied


async def record_results(
    connection: AsyncConnection,
    channel: Channel,
    changes: Sequence[Change],
    *,
    lease_token: UUID,
    now: datetime,
    provider_error: ProviderError | None = None,
) -> Applied:
    """Apply the changes of the batch claimed with `lease_token`; those refused come back with the
    notification as it was. `provider_error`: the provider's latest error, when it gave one."""
    applied = await transitions.apply(
        connection, channel, changes, now=now, guard=lambda row, _change: row.lease_token == lease_token
    )
    if provider_error is not None:
        await provider_errors.record_provider_error(connection, provider_error)
    return applied


async def prune_result_minutes(connection: AsyncConnection, *, now: datetime) -> int:
    """Forget the per-minute counts of sent and failed notifications older than the chart needs;
    how many rows went."""
    return await result_minutes.delete_minutes(connection, now - RESULT_MINUTES_KEPT)
