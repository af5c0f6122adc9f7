"""Posting events to a real local receiver: signed so that the specification's library verifies
them, in order, retried with the same webhook-id until a 2xx, and a 410 disables the subscription."""

from __future__ import annotations

from datetime import timedelta

import httpx
from standardwebhooks import Webhook

from orderdesk.core.db import Database
from orderdesk.settings import OutboundSettings, Settings
from orderdesk.webhooks.delivery import DeliveryWorker
from tests.conftest import Clock, Tokens
from tests.integration.webhooks.conftest import NOTIFICATION_HOOKS, Subscribe, worker_for
from tests.support.webhook_receiver import webhook_receiver


async def _ping(client: httpx.AsyncClient, tokens: Tokens, subscription_id: str, org: str = "ttd") -> str:
    answer = await client.post(f"{NOTIFICATION_HOOKS}/{subscription_id}/test", headers=tokens.bearer(org))
    assert answer.status_code == 202, answer.text
    message_id: str = answer.json()["messageId"]
    return message_id


async def test_test_event__arrives_signed_and_verifies(
    client: httpx.AsyncClient, tokens: Tokens, subscribe: Subscribe, webhook_worker: DeliveryWorker
) -> None:
    with webhook_receiver() as receiver:
        created = await subscribe(receiver.url)
        message_id = await _ping(client, tokens, created["id"])

        await webhook_worker.step_and_settle()

        [received] = receiver.received
        assert received.message_id == message_id
        assert received.headers["content-type"] == "application/json"
        payload = received.verify(created["secret"])
        assert payload["type"] == "webhook.ping"
        assert payload["data"]["subscriptionId"] == created["id"]
        assert payload["timestamp"].endswith("Z")


async def test_events__arrive_in_the_order_they_were_queued(
    client: httpx.AsyncClient, tokens: Tokens, subscribe: Subscribe, webhook_worker: DeliveryWorker
) -> None:
    with webhook_receiver() as receiver:
        created = await subscribe(receiver.url)
        queued = [await _ping(client, tokens, created["id"]) for _ in range(5)]

        await webhook_worker.step_and_settle()

        assert [item.message_id for item in receiver.received] == queued


async def test_failing_receiver__gets_the_event_again_each_time_then_once_with_success(
    client: httpx.AsyncClient,
    tokens: Tokens,
    subscribe: Subscribe,
    webhook_worker: DeliveryWorker,
    clock: Clock,
) -> None:
    with webhook_receiver() as receiver:
        receiver.statuses = [500, 500, 500]
        created = await subscribe(receiver.url)
        message_id = await _ping(client, tokens, created["id"])
        path = f"{NOTIFICATION_HOOKS}/{created['id']}"

        await webhook_worker.step_and_settle()
        assert [item.status for item in receiver.received] == [500]
        failing = (await client.get(path, headers=tokens.bearer("ttd"))).json()
        assert failing["failingSince"] is not None
        # Not due again before its back-off has passed.
        await webhook_worker.step_and_settle()
        assert len(receiver.received) == 1
        for _ in range(3):
            clock.advance(timedelta(hours=1))
            await webhook_worker.step_and_settle()

        assert [item.status for item in receiver.received] == [500, 500, 500, 200]
        assert {item.message_id for item in receiver.received} == {message_id}
        assert [payload["type"] for payload in receiver.payloads(created["secret"])] == ["webhook.ping"]
        recovered = (await client.get(path, headers=tokens.bearer("ttd"))).json()
        assert recovered["failingSince"] is None
        assert recovered["status"] == "active"
        # Delivered once: nothing more is posted.
        clock.advance(timedelta(hours=1))
        await webhook_worker.step_and_settle()
        assert len(receiver.received) == 4


async def test_gone__disables_the_subscription_with_the_reason(
    client: httpx.AsyncClient,
    tokens: Tokens,
    subscribe: Subscribe,
    webhook_worker: DeliveryWorker,
    clock: Clock,
) -> None:
    with webhook_receiver() as receiver:
        receiver.statuses = [410]
        created = await subscribe(receiver.url)
        await _ping(client, tokens, created["id"])
        await _ping(client, tokens, created["id"])

        await webhook_worker.step_and_settle()
        clock.advance(timedelta(days=1))
        await webhook_worker.step_and_settle()

        assert [item.status for item in receiver.received] == [410]
        shown = (
            await client.get(f"{NOTIFICATION_HOOKS}/{created['id']}", headers=tokens.bearer("ttd"))
        ).json()
        assert shown["status"] == "disabled"
        assert "410" in shown["disabledReason"]
        refused = await client.post(
            f"{NOTIFICATION_HOOKS}/{created['id']}/test", headers=tokens.bearer("ttd")
        )
        assert refused.status_code == 409


async def test_rotated_secret__both_secrets_verify_for_the_overlap_then_only_the_new(
    client: httpx.AsyncClient,
    tokens: Tokens,
    subscribe: Subscribe,
    webhook_worker: DeliveryWorker,
    clock: Clock,
) -> None:
    with webhook_receiver() as receiver:
        created = await subscribe(receiver.url)
        rotated = await client.post(
            f"{NOTIFICATION_HOOKS}/{created['id']}/rotate-secret", headers=tokens.bearer("ttd")
        )
        assert rotated.status_code == 200, rotated.text
        new_secret = rotated.json()["secret"]
        assert new_secret != created["secret"]
        await _ping(client, tokens, created["id"])
        await webhook_worker.step_and_settle()

        [during] = receiver.received
        during.verify(created["secret"])
        during.verify(new_secret)

        clock.advance(timedelta(hours=25))
        await _ping(client, tokens, created["id"])
        await webhook_worker.step_and_settle()

        after = receiver.received[1]
        after.verify(new_secret)
        try:
            Webhook(created["secret"]).verify(after.body, after.headers)
        except Exception:
            pass
        else:
            raise AssertionError("the previous secret still verifies after the overlap")


async def test_a_name_resolving_to_a_refused_address__is_not_called(
    client: httpx.AsyncClient,
    tokens: Tokens,
    subscribe: Subscribe,
    database: Database,
    settings: Settings,
    clock: Clock,
) -> None:
    """The operator allowed no network: `localhost` resolves to loopback, refused when the event is
    posted, whatever it resolved to when the subscription was made."""

    with webhook_receiver() as receiver:
        port = receiver.url.split(":")[2].split("/")[0]
        created = await subscribe(f"https://localhost:{port}/hooks")
        await _ping(client, tokens, created["id"])
        strict = settings.model_copy(update={"outbound": OutboundSettings(allowed_networks="")})
        worker = worker_for(database, strict, clock)
        try:
            await worker.step_and_settle()
        finally:
            await worker.aclose()

        assert receiver.received == []
        shown = (
            await client.get(f"{NOTIFICATION_HOOKS}/{created['id']}", headers=tokens.bearer("ttd"))
        ).json()
        assert shown["failingSince"] is not None
