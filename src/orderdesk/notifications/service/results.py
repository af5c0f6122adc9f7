"""Recording what the providers answered to the messages of a claimed batch.

A result is written only while the batch that sent the message still holds its claim (the lease
token the claim gave its rows): a worker whose lease ran out has lost the rows to another, and its
late results are refused. A final status is never overwritten (repository.transitions).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.notifications.models import Change, Channel
from orderdesk.notifications.repository import transitions
from orderdesk.notifications.repository.transitions import Applied


async def record_results(
    connection: AsyncConnection,
    channel: Channel,
    changes: Sequence[Change],
    *,
    lease_token: UUID,
    now: datetime,
) -> Applied:
    """Apply the changes of the batch claimed with `lease_token`; those refused come back with the
    notification as it was."""
    return await transitions.apply(
        connection, channel, changes, now=now, guard=lambda row, _change: row.lease_token == lease_token
    )
