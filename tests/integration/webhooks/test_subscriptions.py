"""Subscribing endpoints through the API: each owner sees, changes and deletes only its own; bad input
is a 400 naming the field and creates nothing."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import Tokens
from tests.integration.webhooks.conftest import DATA_HOOKS, NOTIFICATION_HOOKS, Subscribe


async def test_subscribe__answers_the_secret_once_and_lists_the_subscription(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    answer = await client.post(
        NOTIFICATION_HOOKS,
        json={
            "url": "https://hooks.example.com/orderdesk",
            "events": ["order.status_changed", "notification.status_changed", "order.status_changed"],
            "description": "our ERP",
        },
        headers=tokens.bearer("ttd"),
    )

    assert answer.status_code == 201, answer.text
    created = answer.json()
    assert created["secret"].startswith("whsec_")
    assert created["status"] == "active"
    assert created["events"] == ["order.status_changed", "notification.status_changed"]
    assert answer.headers["Location"] == f"http://testserver{NOTIFICATION_HOOKS}/{created['id']}"
    listed = await client.get(NOTIFICATION_HOOKS, headers=tokens.bearer("ttd"))
    assert listed.status_code == 200
    [shown] = listed.json()["webhooks"]
    assert shown["id"] == created["id"]
    assert shown["description"] == "our ERP"
    assert "secret" not in shown
    one = await client.get(f"{NOTIFICATION_HOOKS}/{created['id']}", headers=tokens.bearer("ttd"))
    assert one.status_code == 200
    assert "secret" not in one.json()


async def test_delete__removes_the_subscription(
    client: httpx.AsyncClient, tokens: Tokens, subscribe: Subscribe
) -> None:
    created = await subscribe("https://hooks.example.com/a")
    path = f"{NOTIFICATION_HOOKS}/{created['id']}"

    assert (await client.delete(path, headers=tokens.bearer("ttd"))).status_code == 204
    assert (await client.get(path, headers=tokens.bearer("ttd"))).status_code == 404
    assert (await client.delete(path, headers=tokens.bearer("ttd"))).status_code == 404


async def test_another_owner__finds_nothing_and_changes_nothing(
    client: httpx.AsyncClient, tokens: Tokens, subscribe: Subscribe
) -> None:
    created = await subscribe("https://hooks.example.com/ttd", org="ttd")
    path = f"{NOTIFICATION_HOOKS}/{created['id']}"
    other = tokens.bearer("nav")

    assert (await client.get(NOTIFICATION_HOOKS, headers=other)).json() == {"webhooks": []}
    for method, suffix in (("GET", ""), ("DELETE", ""), ("POST", "/rotate-secret"), ("POST", "/test")):
        answer = await client.request(method, path + suffix, headers=other)
        assert answer.status_code == 404, (method, suffix, answer.text)
    # A data user's token neither: the data-order webhooks are another owner's list.
    user = tokens.user("ola@example.com")
    assert (await client.get(DATA_HOOKS, headers=user)).json() == {"webhooks": []}
    assert (await client.get(f"{DATA_HOOKS}/{created['id']}", headers=user)).status_code == 404
    assert (await client.get(path, headers=tokens.bearer("ttd"))).status_code == 200


async def test_tokens_of_the_other_family__are_refused(client: httpx.AsyncClient, tokens: Tokens) -> None:
    assert (await client.get(NOTIFICATION_HOOKS, headers=tokens.user())).status_code == 401
    assert (await client.get(DATA_HOOKS, headers=tokens.bearer("ttd"))).status_code == 401
    assert (await client.get(NOTIFICATION_HOOKS)).status_code == 401


async def test_data_user__subscribes_to_data_order_events(client: httpx.AsyncClient, tokens: Tokens) -> None:
    answer = await client.post(
        DATA_HOOKS,
        json={"url": "https://hooks.example.com/data", "events": ["dataorder.files_available"]},
        headers=tokens.user("ola@example.com"),
    )

    assert answer.status_code == 201, answer.text
    assert answer.json()["events"] == ["dataorder.files_available"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "https://h.example.com/x", "events": ["order.created"]}, "events[0]"),
        ({"url": "https://h.example.com/x", "events": ["dataorder.status_changed"]}, "events[0]"),
        ({"url": "https://h.example.com/x", "events": []}, "events"),
        ({"url": "https://h.example.com/x"}, "events"),
        ({"url": "ftp://h.example.com/x", "events": ["order.status_changed"]}, "url"),
        ({"url": "/relative", "events": ["order.status_changed"]}, "url"),
        ({"url": "http://h.example.com/x", "events": ["order.status_changed"]}, "url"),
        ({"url": "http://10.1.2.3/x", "events": ["order.status_changed"]}, "url"),
        ({"url": "https://169.254.169.254/latest", "events": ["order.status_changed"]}, "url"),
        ({"url": "https://[fd00:ec2::254]/x", "events": ["order.status_changed"]}, "url"),
        ({"url": "https://h.example.com:99999/x", "events": ["order.status_changed"]}, "url"),
        ({"url": "https://h.example.com/" + "a" * 2100, "events": ["order.status_changed"]}, "url"),
        ({"url": 42, "events": ["order.status_changed"]}, "url"),
        (
            {"url": "https://h.example.com/x", "events": ["order.status_changed"], "description": "a\x00"},
            "description",
        ),
        ({"url": "https://h.example.com/x", "events": "order.status_changed"}, "events"),
    ],
)
async def test_bad_subscription__is_a_400_naming_the_field_and_creates_nothing(
    client: httpx.AsyncClient, tokens: Tokens, body: dict[str, object], field: str
) -> None:
    answer = await client.post(NOTIFICATION_HOOKS, json=body, headers=tokens.bearer("ttd"))

    assert answer.status_code == 400, answer.text
    assert field in answer.json()["errors"], answer.json()
    assert (await client.get(NOTIFICATION_HOOKS, headers=tokens.bearer("ttd"))).json() == {"webhooks": []}


async def test_body_not_json__is_a_400(client: httpx.AsyncClient, tokens: Tokens) -> None:
    answer = await client.post(
        NOTIFICATION_HOOKS,
        content=b"{not json",
        headers={**tokens.bearer("ttd"), "Content-Type": "application/json"},
    )
    assert answer.status_code == 400


async def test_plain_http__is_accepted_inside_the_operators_networks(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    answer = await client.post(
        NOTIFICATION_HOOKS,
        json={"url": "http://127.0.0.1:9/hooks", "events": ["order.status_changed"]},
        headers=tokens.bearer("ttd"),
    )
    assert answer.status_code == 201, answer.text


async def test_an_owner__may_have_twenty_subscriptions(
    client: httpx.AsyncClient, tokens: Tokens, subscribe: Subscribe
) -> None:
    for number in range(20):
        await subscribe(f"https://hooks.example.com/{number}")

    answer = await client.post(
        NOTIFICATION_HOOKS,
        json={"url": "https://hooks.example.com/21", "events": ["order.status_changed"]},
        headers=tokens.bearer("ttd"),
    )

    assert answer.status_code == 409, answer.text
    assert len((await client.get(NOTIFICATION_HOOKS, headers=tokens.bearer("ttd"))).json()["webhooks"]) == 20
    other = await client.post(
        NOTIFICATION_HOOKS,
        json={"url": "https://hooks.example.com/21", "events": ["order.status_changed"]},
        headers=tokens.bearer("nav"),
    )
    assert other.status_code == 201
