"""The deliveries list of a subscription: every attempt to post its events to a real local receiver,
newest first, paged by an opaque cursor and filtered by message or outcome; each owner reads only its
own, and a crafted query is a 400 naming its parameter, never a 500."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from orderdesk.webhooks.delivery import DeliveryWorker
from orderdesk.webhooks.rules import deliveries_cursor
from tests.conftest import Clock, Tokens
from tests.integration.webhooks.conftest import DATA_HOOKS, NOTIFICATION_HOOKS, Subscribe
from tests.support.webhook_receiver import webhook_receiver


async def _ping(client: httpx.AsyncClient, tokens: Tokens, subscription_id: str) -> str:
    answer = await client.post(f"{NOTIFICATION_HOOKS}/{subscription_id}/test", headers=tokens.bearer("ttd"))
    assert answer.status_code == 202, answer.text
    message_id: str = answer.json()["messageId"]
    return message_id


async def _deliveries(
    client: httpx.AsyncClient, tokens: Tokens, subscription_id: str, **query: str | int
) -> dict[str, Any]:
    answer = await client.get(
        f"{NOTIFICATION_HOOKS}/{subscription_id}/deliveries", params=query, headers=tokens.bearer("ttd")
    )
    assert answer.status_code == 200, answer.text
    page: dict[str, Any] = answer.json()
    return page


async def test_deliveries__a_delivered_event__one_attempt_with_the_receivers_answer(
    client: httpx.AsyncClient, tokens: Tokens, subscribe: Subscribe, webhook_worker: DeliveryWorker
) -> None:
    with webhook_receiver() as receiver:
        receiver.answer_body = b'{"received": "yes"}'
        created = await subscribe(receiver.url)
        message_id = await _ping(client, tokens, created["id"])

        await webhook_worker.step_and_settle()

    page = await _deliveries(client, tokens, created["id"])
    [delivery] = page["deliveries"]
    assert delivery["messageId"] == message_id
    assert delivery["eventType"] == "webhook.ping"
    assert delivery["statusCode"] == 200
    assert delivery["responseExcerpt"] == '{"received": "yes"}'
    assert delivery["error"] is None
    assert delivery["eventState"] == "delivered"
    assert delivery["durationMs"] >= 0
    assert delivery["attemptedAt"].endswith("Z") or delivery["attemptedAt"].endswith("+00:00")
    assert page["next"] is None


async def test_deliveries__a_retried_event__every_attempt_newest_first_and_filtered_by_outcome(
    client: httpx.AsyncClient,
    tokens: Tokens,
    subscribe: Subscribe,
    webhook_worker: DeliveryWorker,
    clock: Clock,
) -> None:
    with webhook_receiver() as receiver:
        receiver.statuses = [500, 503]
        created = await subscribe(receiver.url)
        message_id = await _ping(client, tokens, created["id"])
        await webhook_worker.step_and_settle()

        pending = (await _deliveries(client, tokens, created["id"]))["deliveries"]
        assert [(item["statusCode"], item["eventState"]) for item in pending] == [(500, "pending")]
        assert pending[0]["error"] == "HTTP 500"

        for _ in range(2):
            clock.advance(timedelta(hours=1))
            await webhook_worker.step_and_settle()
        other = await _ping(client, tokens, created["id"])
        await webhook_worker.step_and_settle()

    every = (await _deliveries(client, tokens, created["id"]))["deliveries"]
    assert [(item["messageId"], item["statusCode"]) for item in every] == [
        (other, 200),
        (message_id, 200),
        (message_id, 503),
        (message_id, 500),
    ]
    assert {item["eventState"] for item in every} == {"delivered"}
    failed = (await _deliveries(client, tokens, created["id"], outcome="failed"))["deliveries"]
    assert [item["statusCode"] for item in failed] == [503, 500]
    succeeded = (await _deliveries(client, tokens, created["id"], outcome="succeeded"))["deliveries"]
    assert [item["messageId"] for item in succeeded] == [other, message_id]
    one = (await _deliveries(client, tokens, created["id"], messageId=message_id))["deliveries"]
    assert [item["statusCode"] for item in one] == [200, 503, 500]
    both = await _deliveries(client, tokens, created["id"], messageId=message_id, outcome="failed")
    assert [item["statusCode"] for item in both["deliveries"]] == [503, 500]
    assert (await _deliveries(client, tokens, created["id"], messageId="msg_unknown"))["deliveries"] == []


async def test_deliveries__pages__follow_next_to_the_end_without_a_gap_or_a_repeat(
    client: httpx.AsyncClient, tokens: Tokens, subscribe: Subscribe, webhook_worker: DeliveryWorker
) -> None:
    with webhook_receiver() as receiver:
        created = await subscribe(receiver.url)
        queued = [await _ping(client, tokens, created["id"]) for _ in range(5)]
        await webhook_worker.step_and_settle()

    seen: list[str] = []
    sizes: list[int] = []
    page = await _deliveries(client, tokens, created["id"], pageSize=2, outcome="succeeded")
    while True:
        seen += [item["messageId"] for item in page["deliveries"]]
        sizes.append(len(page["deliveries"]))
        if page["next"] is None:
            break
        assert page["next"].startswith(f"http://testserver{NOTIFICATION_HOOKS}/{created['id']}/deliveries?")
        assert "outcome=succeeded" in page["next"]
        answer = await client.get(page["next"], headers=tokens.bearer("ttd"))
        assert answer.status_code == 200, answer.text
        page = answer.json()

    assert seen == list(reversed(queued))
    assert sizes == [2, 2, 1]
    default = await _deliveries(client, tokens, created["id"])
    assert len(default["deliveries"]) == 5
    assert default["next"] is None


async def test_deliveries__no_attempt_yet__an_empty_page(
    client: httpx.AsyncClient, tokens: Tokens, subscribe: Subscribe
) -> None:
    created = await subscribe("https://hooks.example.com/later")
    await _ping(client, tokens, created["id"])

    assert await _deliveries(client, tokens, created["id"]) == {"deliveries": [], "next": None}


async def test_deliveries__another_owners_or_an_unknown_subscription__404(
    client: httpx.AsyncClient, tokens: Tokens, subscribe: Subscribe
) -> None:
    created = await subscribe("https://hooks.example.com/ttd", org="ttd")

    for path, headers in (
        (f"{NOTIFICATION_HOOKS}/{created['id']}/deliveries", tokens.bearer("nav")),
        (f"{DATA_HOOKS}/{created['id']}/deliveries", tokens.user("ola@example.com")),
        (f"{NOTIFICATION_HOOKS}/00000000-0000-4000-8000-000000000000/deliveries", tokens.bearer("ttd")),
    ):
        answer = await client.get(path, headers=headers)
        assert answer.status_code == 404, (path, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"


async def test_deliveries__of_a_data_users_subscription__listed_under_the_data_order_prefix(
    client: httpx.AsyncClient, tokens: Tokens, webhook_worker: DeliveryWorker
) -> None:
    user = tokens.user("ola@example.com")
    with webhook_receiver() as receiver:
        answer = await client.post(
            DATA_HOOKS, json={"url": receiver.url, "events": ["dataorder.status_changed"]}, headers=user
        )
        assert answer.status_code == 201, answer.text
        hook = answer.json()["id"]
        ping = await client.post(f"{DATA_HOOKS}/{hook}/test", headers=user)
        assert ping.status_code == 202, ping.text
        await webhook_worker.step_and_settle()

    listed = await client.get(f"{DATA_HOOKS}/{hook}/deliveries", params={"pageSize": 1}, headers=user)

    assert listed.status_code == 200, listed.text
    [delivery] = listed.json()["deliveries"]
    assert delivery["messageId"] == ping.json()["messageId"]
    assert delivery["eventState"] == "delivered"
    other_user = tokens.user("kari@example.com")
    assert (await client.get(f"{DATA_HOOKS}/{hook}/deliveries", headers=other_user)).status_code == 404


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ({"pageSize": "0"}, "pageSize"),
        ({"pageSize": "101"}, "pageSize"),
        ({"pageSize": "-1"}, "pageSize"),
        ({"pageSize": "ten"}, "pageSize"),
        ({"pageSize": str(10**30)}, "pageSize"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "a\x00b"}, "cursor"),
        ({"cursor": "é"}, "cursor"),
        ({"cursor": "x" * 5000}, "cursor"),
        ({"cursor": deliveries_cursor(10**30)}, "cursor"),
        ({"cursor": deliveries_cursor(2**63)}, "cursor"),
        ({"cursor": deliveries_cursor(2**60)}, "cursor"),
        ({"cursor": deliveries_cursor(-5)}, "cursor"),
        ({"cursor": "ABC"}, "cursor"),
        ({"messageId": "msg_\x00"}, "messageId"),
        ({"messageId": "m" * 101}, "messageId"),
        ({"outcome": "maybe"}, "outcome"),
    ],
)
async def test_deliveries__a_crafted_query__400_naming_the_parameter(
    client: httpx.AsyncClient,
    tokens: Tokens,
    subscribe: Subscribe,
    query: dict[str, str],
    parameter: str,
) -> None:
    created = await subscribe("https://hooks.example.com/crafted")

    answer = await client.get(
        f"{NOTIFICATION_HOOKS}/{created['id']}/deliveries", params=query, headers=tokens.bearer("ttd")
    )

    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert list(answer.json()["errors"]) == [parameter], answer.json()


@pytest.mark.parametrize("cursor", [deliveries_cursor(2**60 - 1), "0", "000000000000001"])
async def test_deliveries__any_cursor_the_document_allows__a_page_not_an_error(
    client: httpx.AsyncClient, tokens: Tokens, subscribe: Subscribe, cursor: str
) -> None:
    created = await subscribe("https://hooks.example.com/edge")

    page = await _deliveries(client, tokens, created["id"], cursor=cursor)

    assert page == {"deliveries": [], "next": None}
