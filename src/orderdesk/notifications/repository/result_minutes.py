"""Notifications sent and failed per minute: added to in the transaction that records their status
(transitions.apply), read for the console's 24-hour chart, deleted once older than the chart."""

from __future__ import annotations

import random
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.core.db import insert_for
from orderdesk.notifications.models import Channel, ChannelResults, MinuteResults
from orderdesk.notifications.tables import notification_result_minute

SHARDS = 4
"""Rows per minute and channel that writers spread their additions over (see the table)."""

_minute = notification_result_minute.c


def epoch_minute(moment: datetime) -> int:
    """The minute `moment` is in, counted from 1970-01-01 00:00 UTC."""
    return int(moment.timestamp()) // 60


async def add_results(
    connection: AsyncConnection, channel: Channel, at: datetime, *, sent: int, failed: int
) -> None:
    """Count `sent` and `failed` notifications of `channel` in the minute of `at`: one upsert, none
    when both are 0. Locks one of SHARDS rows until the transaction ends: call it last."""
    if not sent and not failed:
        return
    statement = insert_for(connection, notification_result_minute).values(
        epoch_minute=epoch_minute(at),
        channel=channel.value,
        shard=random.randrange(SHARDS),
        sent=sent,
        failed=failed,
    )
    await connection.execute(
        statement.on_conflict_do_update(
            index_elements=["epoch_minute", "channel", "shard"],
            set_={
                "sent": _minute.sent + statement.excluded.sent,
                "failed": _minute.failed + statement.excluded.failed,
            },
        )
    )


async def list_minutes(connection: AsyncConnection, since: datetime) -> list[MinuteResults]:
    """The minutes from `since` on that had a result, both channels together, oldest first: a range
    of the primary key (at most a few rows per minute and channel), one row per minute."""
    rows = await connection.execute(
        select(_minute.epoch_minute, func.sum(_minute.sent), func.sum(_minute.failed))
        .where(_minute.epoch_minute >= epoch_minute(since))
        .group_by(_minute.epoch_minute)
        .order_by(_minute.epoch_minute)
    )
    return [MinuteResults(minute, int(sent), int(failed)) for minute, sent, failed in rows]


async def channel_totals(connection: AsyncConnection, since: datetime) -> list[ChannelResults]:
    """Per channel, the notifications sent and failed from the minute of `since` on (0 for none)."""
    rows = await connection.execute(
        select(_minute.channel, func.sum(_minute.sent), func.sum(_minute.failed))
        .where(_minute.epoch_minute >= epoch_minute(since))
        .group_by(_minute.channel)
    )
    found = {channel: (int(sent), int(failed)) for channel, sent, failed in rows}
    return [ChannelResults(channel, *found.get(channel.value, (0, 0))) for channel in Channel]


async def delete_minutes(connection: AsyncConnection, before: datetime) -> int:
    """Delete the minutes before `before`; how many rows went (a few per minute and channel, so
    even after days without a worker one statement is enough)."""
    result = await connection.execute(
        delete(notification_result_minute).where(_minute.epoch_minute < epoch_minute(before))
    )
    return int(result.rowcount)
