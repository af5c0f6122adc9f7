"""The status feed read when it is short against when it is long: a page must cost the same.

- `feed_page`: `GET …/future/shipment/feed?orderBy=desc&pageSize=100` (the newest hundred, where a
  polling client reads) on a feed of 10³ entries against one of 10⁶, one server on each.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from functools import partial
from pathlib import Path
from tempfile import TemporaryDirectory

from sqlalchemy import text

from bench.common import Comparison, fresh_database
from bench.http import (
    ROUNDS,
    SECONDS,
    _median,
    _orderdesk,
    _taking_turns,
    _token,
    _unanswered,
    _warm_up,
    ensure_wrk,
    wrk,
    wrk_flags,
)
from orderdesk.core.db import Database

SHORT, LONG = 1_000, 1_000_000
_PAGE = "/notifications/api/v1/future/shipment/feed?orderBy=desc&pageSize=100"

# Orders and their feed entries made by the database itself: a million rows through the API would
# take an hour, and the read is what is measured.
_ORDERS = text(
    """
    INSERT INTO notification_order (
        id, creator, senders_reference, requested_send_at, created_at, notification_channel,
        sending_time_policy, recipients, processing_status, status_changed_at, due_at,
        email_generated, email_succeeded, email_finished)
    SELECT gen_random_uuid(), 'ttd', 'bench-feed-' || n, now() - interval '1 day', now() - interval '1 day',
           'Email', 'Anytime', '[{"emailAddress": "r@example.com"}]'::json, 'Completed',
           now() - interval '1 hour', now() - interval '1 day', 1, 1, 1
    FROM generate_series(1, :count) AS n
    """
)
_ENTRIES = text(
    """
    INSERT INTO notification_status_feed (notification_order_id, creator, created_at, entry)
    SELECT id, creator, status_changed_at, json_build_object(
        'shipmentId', id, 'sendersReference', senders_reference, 'status', 'Order_Completed',
        'lastUpdate', status_changed_at, 'shipmentType', 'Notification',
        'recipients', json_build_array(json_build_object(
            'type', 'Email', 'destination', 'r@example.com', 'status', 'Email_Delivered',
            'lastUpdate', status_changed_at)))
    FROM notification_order ORDER BY created_at, id
    """
)


async def _fill(database: Database, count: int) -> None:
    async with database.transaction() as connection:
        await connection.execute(_ORDERS, {"count": count})
        await connection.execute(_ENTRIES)
    async with database.autocommit() as connection:
        await connection.execute(text("ANALYZE notification_order"))
        await connection.execute(text("ANALYZE notification_status_feed"))


async def feed_page(rounds: int = ROUNDS, seconds: int = SECONDS) -> Comparison:
    """The newest page of a feed of 10⁶ entries against the same page of a feed of 10³."""
    ensure_wrk()
    urls: list[str] = []
    for count in (LONG, SHORT):
        url, database = await fresh_database(f"feed_{count}")
        try:
            await _fill(database, count)
        finally:
            await database.dispose()
        urls.append(url)
    with TemporaryDirectory() as folder:
        home = Path(folder).resolve()
        token = _token(home)
        async with AsyncExitStack() as servers:
            long_server = await servers.enter_async_context(_orderdesk(home, urls[0]))
            short_server = await servers.enter_async_context(_orderdesk(home, urls[1]))
            long_url, short_url = f"{long_server}{_PAGE}", f"{short_server}{_PAGE}"
            await _warm_up(token, long_url, short_url)
            long_runs, short_runs = await _taking_turns(
                rounds,
                partial(wrk, long_url, seconds, token=token),
                partial(wrk, short_url, seconds, token=token),
            )
    return Comparison(
        title="Status feed page (`GET …/future/shipment/feed`, newest 100) at 10⁶ entries",
        unit="req/s",
        ours=[result.requests_per_second for result in long_runs],
        baseline=[result.requests_per_second for result in short_runs],
        baseline_name="the same page of a feed of 10³ entries",
        target=0.9,
        notes=(
            f"`{_PAGE}`, one `orderdesk serve --no-worker` (uvicorn, 1 worker) on each of two PostgreSQL"
            f" databases, one holding {LONG:,} entries and one {SHORT:,} (made by the database itself,"
            f" then ANALYZE). wrk 4.1 `{wrk_flags(seconds)}`, {rounds} rounds taking turns at going first,"
            " after a warm-up of each. The page is a range of the (creator, sequence_number) index."
            f" p99: 10⁶ {_median(long_runs, lambda r: r.p99_ms):.1f} ms,"
            f" 10³ {_median(short_runs, lambda r: r.p99_ms):.1f} ms."
            + _unanswered(long=long_runs, short=short_runs)
        ),
    )
