"""Enabling a disabled subscription again: it becomes active with its failures forgotten, events
that happen from then on are delivered, and the events it lost stay failed in its deliveries."""

from __future__ import annotations

from datetime import timedelta

import httpx

from orderdesk.webhooks.delivery import DeliveryWorker
from tests.conftest import Clock, Tokens
from tests.integration.webhooks.conftest import NOTIFICATION_HOOKS, Subscribe
from tests.support.webhook_receiver import webhook_receiver


async def test_enable__a_subscription_gone_410__active_again_and_its_lost_events_stay_failed(
    client: httpx.AsyncClient,
    tokens: Tokens,
    subscribe: Subscribe,
    webhook_worker: DeliveryWorker,
    clock: Clock,
) -> None:
    owner = tokens.bearer("ttd")
    with webhook_receiver() as receiver:
        receiver.statuses = [410]
        created = await subscribe(receiver.url)
        path = f"{NOTIFICATION_HOOKS}/{created['id']}"
        gone = (await client.post(f"{path}/test", headers=owner)).json()["messageId"]
        lost = (await client.post(f"{path}/test", headers=owner)).json()["messageId"]
        await webhook_worker.step_and_settle()
        assert (await client.get(path, headers=owner)).json()["status"] == "disabled"

        enabled = await client.post(f"{path}/enable", headers=owner)

        assert enabled.status_code == 200, enabled.text
        shown = enabled.json()
        assert shown["status"] == "active"
        assert shown["disabledReason"] is None
        assert shown["disabledAt"] is None
        assert shown["failingSince"] is None
        assert (await client.get(path, headers=owner)).json() == shown
        # The lost event is not posted again; a new one is, at once (no back-off left over).
        clock.advance(timedelta(days=1))
        await webhook_worker.step_and_settle()
        assert [item.message_id for item in receiver.received] == [gone]
        after = await client.post(f"{path}/test", headers=owner)
        assert after.status_code == 202, after.text
        await webhook_worker.step_and_settle()
        assert [item.message_id for item in receiver.received] == [gone, after.json()["messageId"]]
        assert receiver.received[-1].verify(created["secret"])["type"] == "webhook.ping"

    deliveries = (await client.get(f"{path}/deliveries", headers=owner)).json()["deliveries"]
    assert [(item["messageId"], item["statusCode"], item["eventState"]) for item in deliveries] == [
        (after.json()["messageId"], 200, "delivered"),
        (gone, 410, "failed"),
    ]
    assert lost not in {item["messageId"] for item in deliveries}


async def test_enable__an_active_subscription__answered_as_it_is_its_failures_kept(
    client: httpx.AsyncClient,
    tokens: Tokens,
    subscribe: Subscribe,
    webhook_worker: DeliveryWorker,
) -> None:
    owner = tokens.bearer("ttd")
    with webhook_receiver() as receiver:
        receiver.statuses = [500]
        created = await subscribe(receiver.url)
        path = f"{NOTIFICATION_HOOKS}/{created['id']}"
        assert (await client.post(f"{path}/test", headers=owner)).status_code == 202
        await webhook_worker.step_and_settle()
        failing = (await client.get(path, headers=owner)).json()
        assert failing["failingSince"] is not None

        enabled = await client.post(f"{path}/enable", headers=owner)

    assert enabled.status_code == 200, enabled.text
    assert enabled.json() == failing


async def test_enable__another_owners_or_an_unknown_subscription__404_and_nothing_changes(
    client: httpx.AsyncClient,
    tokens: Tokens,
    subscribe: Subscribe,
    webhook_worker: DeliveryWorker,
) -> None:
    with webhook_receiver() as receiver:
        receiver.statuses = [410]
        created = await subscribe(receiver.url)
        path = f"{NOTIFICATION_HOOKS}/{created['id']}"
        assert (await client.post(f"{path}/test", headers=tokens.bearer("ttd"))).status_code == 202
        await webhook_worker.step_and_settle()

    refused = await client.post(f"{path}/enable", headers=tokens.bearer("nav"))
    unknown = await client.post(
        f"{NOTIFICATION_HOOKS}/00000000-0000-4000-8000-000000000000/enable", headers=tokens.bearer("ttd")
    )

    assert refused.status_code == 404, refused.text
    assert unknown.status_code == 404, unknown.text
    assert (await client.get(path, headers=tokens.bearer("ttd"))).json()["status"] == "disabled"
