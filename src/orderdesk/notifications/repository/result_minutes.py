"""Notifications sent and failed per minute: added to in the transaction that records their status
(transitions.apply), read for the console's 24-hour chart, deleted once older than the chart."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.core.db import insert_for
from orderdesk.notifications.models import Channel, MinuteResults
from orderdesk.notifications.tables import notification_result_minute

SHARDS = 4
"""Rows per minute and channel that writers spread their additions over (see the table)."""

_minute = notification_result_minute.c


def minute_of(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(second=0, microsecond=0)


async def add_results(
    connection: AsyncConnection, channel: Channel, at: datetime, *, sent: int, failed: int
) -> None:
    """Count `sent` and `failed` notifications of `channel` in the minute of `at`: one upsert, none
    when both are 0. Locks one of SHARDS rows until the transaction ends: call it last."""
    if not sent and not failed:
        return
    statement = insert_for(connection, notification_result_minute).values(
        minute=minute_of(at), channel=channel.value, shard=random.randrange(SHARDS), sent=sent, failed=failed
    )
    await connection.execute(
        statement.on_conflict_do_update(
            index_elements=["minute", "channel", "shard"],
            set_={
                "sent": _minute.sent + statement.excluded.sent,
                "failed": _minute.failed + statement.excluded.failed,
            },
        )
    )


async def list_minutes(connection: AsyncConnection, since: datetime) -> list[MinuteResults]:
    """The minutes from `since` on that had a result, per channel, oldest first: a range of the
    primary key (at most 1440 minutes x 2 channels x SHARDS rows a day)."""
    rows = await connection.execute(
        select(_minute.minute, _minute.channel, func.sum(_minute.sent), func.sum(_minute.failed))
        .where(_minute.minute >= minute_of(since))
        .group_by(_minute.minute, _minute.channel)
        .order_by(_minute.minute, _minute.channel)
    )
    return [
        MinuteResults(minute, Channel(channel), int(sent), int(failed))
        for minute, channel, sent, failed in rows
    ]


async def delete_minutes(connection: AsyncConnection, before: datetime) -> int:
    """Delete the minutes before `before`; how many rows went (a few per minute and channel, so
    even after days without a worker one statement is enough)."""
    result = await connection.execute(delete(notification_result_minute).where(_minute.minute < before))
    return int(result.rowcount)
