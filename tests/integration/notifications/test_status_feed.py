"""The status feed (`GET /future/shipment/feed`): one entry per order that became final, written by the
pipeline, read through a cursor in either direction, only the caller's own, two seconds late, and
deleted after its retention by a worker loop."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy import text

from orderdesk.core.db import Database
from orderdesk.notifications.models import Creator
from orderdesk.notifications.repository import status_feed
from orderdesk.notifications.repository.status_feed import feed_page_statement
from orderdesk.notifications.tasks.pipeline import NotificationPipeline
from tests.conftest import Clock, Tokens
from tests.factories import contacts
from tests.factories.notifications import email_order
from tests.support.http_stub import http_stub
from tests.support.notifications_api import API, place, processing_status

FEED = f"{API}/future/shipment/feed"
LAG = timedelta(seconds=3)


async def feed(client: httpx.AsyncClient, auth: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    response = await client.get(FEED, params=params, headers=auth)
    assert response.status_code == 200, response.text
    body: list[dict[str, Any]] = response.json()
    return body


async def complete(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    pipeline: NotificationPipeline,
    clock: Clock,
    count: int = 1,
    **overrides: Any,
) -> list[str]:
    """Place `count` e-mail orders due now and let the workers carry them out; the clock then moves
    past the feed's lag."""
    order_ids = [
        await place(client, auth, "/orders/email", email_order(requestedSendTime=None, **overrides))
        for _ in range(count)
    ]
    await pipeline.run_until_idle()
    clock.advance(LAG)
    return order_ids


async def test_feed__completed_order__one_entry_with_its_shipment_as_it_ended(
    client: httpx.AsyncClient, auth: dict[str, str], pipeline: NotificationPipeline, clock: Clock
) -> None:
    [order_id] = await complete(
        client, auth, pipeline, clock, recipients=[{"emailAddress": "ola@example.com"}]
    )

    [entry] = await feed(client, auth)

    assert isinstance(entry["sequenceNumber"], int)
    assert entry["shipmentId"] == order_id
    assert entry["sendersReference"] == "ref-1"
    assert entry["status"] == "Order_Completed"
    assert entry["shipmentType"] == "Notification"
    [recipient] = entry["recipients"]
    assert recipient["type"] == "Email"
    assert recipient["destination"] == "ola@example.com"
    assert recipient["status"] == "Email_Delivered"
    assert recipient["lastUpdate"].endswith("Z")
    assert entry["lastUpdate"].endswith("Z")


async def test_feed__order_final_at_birth__has_its_entry(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    pipeline: NotificationPipeline,
    clock: Clock,
    database: Database,
) -> None:
    await contacts.load(database)
    [order_id] = await complete(
        client, auth, pipeline, clock, recipients=[{"nationalIdentityNumber": contacts.PERSON_RESERVED}]
    )

    [entry] = await feed(client, auth)

    assert entry["shipmentId"] == order_id
    assert entry["status"] == "Order_Completed"
    assert [r["status"] for r in entry["recipients"]] == ["Email_Failed_RecipientReserved"]


async def test_feed__entries_younger_than_two_seconds__hidden(
    client: httpx.AsyncClient, auth: dict[str, str], pipeline: NotificationPipeline, clock: Clock
) -> None:
    clock.stop()
    await place(client, auth, "/orders/email", email_order(requestedSendTime=None))
    await pipeline.run_until_idle()

    assert await feed(client, auth) == []
    clock.advance(timedelta(seconds=1))
    assert await feed(client, auth) == []
    clock.advance(timedelta(seconds=1))
    assert len(await feed(client, auth)) == 1


async def test_feed__cursor_ascending__entries_after_seq_oldest_first(
    client: httpx.AsyncClient, auth: dict[str, str], pipeline: NotificationPipeline, clock: Clock
) -> None:
    await complete(client, auth, pipeline, clock, count=3)
    everything = [entry["sequenceNumber"] for entry in await feed(client, auth)]
    assert len(everything) == 3
    assert everything == sorted(everything)

    first_page = await feed(client, auth, pageSize=2, orderBy="asc")
    assert [e["sequenceNumber"] for e in first_page] == everything[:2]
    next_page = await feed(client, auth, seq=first_page[-1]["sequenceNumber"], pageSize=2)
    assert [e["sequenceNumber"] for e in next_page] == everything[2:]
    assert await feed(client, auth, seq=everything[-1]) == []


async def test_feed__cursor_descending__entries_before_seq_newest_first__zero_from_the_newest(
    client: httpx.AsyncClient, auth: dict[str, str], pipeline: NotificationPipeline, clock: Clock
) -> None:
    await complete(client, auth, pipeline, clock, count=3)
    everything = [entry["sequenceNumber"] for entry in await feed(client, auth)]

    [tail] = await feed(client, auth, orderBy="desc", pageSize=1)
    assert tail["sequenceNumber"] == everything[-1]
    before_tail = await feed(client, auth, orderBy="desc", seq=everything[-1])
    assert [e["sequenceNumber"] for e in before_tail] == everything[-2::-1]
    assert await feed(client, auth, orderBy="desc", seq=everything[0]) == []


@pytest.mark.parametrize(("page_size", "expected"), [(0, 1), (-5, 1), (2, 2), (100_000, 3)])
async def test_feed__page_size_out_of_range__clamped_not_refused(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    pipeline: NotificationPipeline,
    clock: Clock,
    page_size: int,
    expected: int,
) -> None:
    await complete(client, auth, pipeline, clock, count=3)

    assert len(await feed(client, auth, pageSize=page_size)) == expected


@pytest.mark.parametrize(("params", "field"), [({"seq": -1}, "seq"), ({"orderBy": "sideways"}, "orderBy")])
async def test_feed__negative_seq_or_unknown_order__bad_request_naming_it(
    client: httpx.AsyncClient, auth: dict[str, str], params: dict[str, Any], field: str
) -> None:
    response = await client.get(FEED, params=params, headers=auth)

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert field in response.json()["errors"]


async def test_feed__without_token__unauthorized(client: httpx.AsyncClient) -> None:
    assert (await client.get(FEED)).status_code == 401


async def test_feed__other_creators_entries__never_shown(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    tokens: Tokens,
    pipeline: NotificationPipeline,
    clock: Clock,
) -> None:
    other = tokens.bearer("skd")
    [mine] = await complete(client, auth, pipeline, clock)
    [theirs] = await complete(client, other, pipeline, clock)

    assert [e["shipmentId"] for e in await feed(client, auth)] == [mine]
    assert [e["shipmentId"] for e in await feed(client, other)] == [theirs]
    # Through a Platform Access Token the issuer's own feed, the same as its bearer token's.
    assert [e["shipmentId"] for e in await feed(client, tokens.platform("skd"))] == [theirs]


async def test_feed__completion_recorded_twice__one_entry(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    pipeline: NotificationPipeline,
    clock: Clock,
    database: Database,
) -> None:
    [order_id] = await complete(client, auth, pipeline, clock)
    [before] = await feed(client, auth)

    async with database.transaction() as connection:
        written = await status_feed.record_final_orders(connection, [UUID(order_id)], clock())

    assert written == 0
    assert await feed(client, auth) == [before]
    assert before["shipmentId"] == order_id


async def test_feed__send_condition_not_met__entry__cancelled__none(
    client: httpx.AsyncClient, auth: dict[str, str], pipeline: NotificationPipeline, clock: Clock
) -> None:
    cancelled = await place(client, auth, "/orders/email", email_order())
    response = await client.put(f"{API}/orders/{cancelled}/cancel", headers=auth)
    assert response.status_code == 200
    with http_stub() as stub:
        endpoint = stub.answer("/condition", 200, '{"sendNotification": false}')
        [not_met] = await complete(client, auth, pipeline, clock, conditionEndpoint=endpoint)
    assert await processing_status(client, auth, not_met) == "SendConditionNotMet"
    clock.advance(timedelta(hours=3))  # the cancelled order's send time has passed too
    await pipeline.run_until_idle()
    assert await processing_status(client, auth, cancelled) == "Cancelled"

    [entry] = await feed(client, auth)

    assert entry["shipmentId"] == not_met
    assert entry["status"] == "Order_SendConditionNotMet"
    assert entry["recipients"] == []


async def test_feed_retention__entries_past_it__deleted_by_the_worker_loop__younger_kept(
    client: httpx.AsyncClient, auth: dict[str, str], pipeline: NotificationPipeline, clock: Clock
) -> None:
    [old] = await complete(client, auth, pipeline, clock)
    clock.advance(timedelta(days=60))
    [young] = await complete(client, auth, pipeline, clock)
    clock.advance(timedelta(days=29))

    await pipeline.prune_status_feed()
    assert {e["shipmentId"] for e in await feed(client, auth)} == {old, young}

    clock.advance(timedelta(days=2))  # the old entry is 91 days old, the young one 31
    await pipeline.prune_status_feed()
    assert [e["shipmentId"] for e in await feed(client, auth)] == [young]


async def test_feed_retention__a_backlog__deleted_in_batches_until_none_is_left(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    pipeline: NotificationPipeline,
    clock: Clock,
    database: Database,
) -> None:
    await complete(client, auth, pipeline, clock, count=5)
    clock.advance(timedelta(days=91))

    async with database.transaction() as connection:
        removed = await status_feed.delete_entries_before(connection, clock() - timedelta(days=90), batch=2)
    assert removed == 2
    # The loop's step deletes its batches until a batch is not full, then sleeps.
    assert await pipeline.prune_status_feed() > 0
    assert await feed(client, auth) == []


async def test_feed_page__read_through_the_creator_and_sequence_index__never_a_scan(
    database: Database, backend: str, clock: Clock
) -> None:
    if backend != "postgres":
        pytest.skip("EXPLAIN plans are PostgreSQL's")
    async with database.transaction() as connection:
        # Many entries of many creators, statistics up to date: the planner chooses as it would in
        # production, where a page must cost the same at ten entries as at ten million.
        await connection.execute(
            text(
                """
                INSERT INTO notification_order (id, creator, requested_send_at, created_at,
                    notification_channel, sending_time_policy, recipients, processing_status,
                    status_changed_at, due_at)
                SELECT md5(i::text)::uuid,
                    -- a rare creator among common ones
                    CASE WHEN i % 100 = 0 THEN 'org49' ELSE 'org' || (i % 49) END,
                    now(), now(), 'Email', 'Daytime', '[]', 'Completed', now(), now()
                FROM generate_series(1, 20000) AS i
                """
            )
        )
        await connection.execute(
            text(
                """
                INSERT INTO notification_status_feed (notification_order_id, creator, created_at, entry)
                SELECT id, creator, created_at, '{}' FROM notification_order
                """
            )
        )
        await connection.execute(text("ANALYZE notification_status_feed"))
        pages = [
            (creator, seq, descending)
            for creator in ("org7", "org49")
            for seq in (0, 100, 10_000, 19_900)
            for descending in (False, True)
        ]
        for creator, seq, descending in pages:
            statement = feed_page_statement(
                Creator(creator), seq=seq, page_size=500, descending=descending, visible_until=clock()
            )
            # The repository's own statement, its values bound as the driver gets them.
            compiled = statement.compile(dialect=connection.dialect)
            values = [compiled.params[name] for name in compiled.positiontup or ()]
            raw = await connection.get_raw_connection()
            driver: Any = raw.driver_connection
            plan = "\n".join(row[0] for row in await driver.fetch(f"EXPLAIN {compiled.string}", *values))
            assert "ix_notification_status_feed_creator_sequence_number" in plan, plan
            assert "Seq Scan" not in plan, plan
