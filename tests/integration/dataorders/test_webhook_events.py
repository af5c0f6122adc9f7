"""Webhook events of data orders, from a subscription made through the API to a real local receiver:
every status change of an order's life and each sub-order's files made available arrive signed (the
Standard Webhooks library verifies them) and in the order they happened, as the OpenAPI document
describes them; no event for what did not change, for a refused action, or for another user."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from orderdesk.core.db import Database
from orderdesk.dataorders.schemas import DataOrderFilesAvailableEvent, DataOrderStatusChangedEvent
from orderdesk.dataorders.tasks import ExpiryRules, ExpiryWorker, StagingWorker
from orderdesk.settings import Settings
from orderdesk.webhooks.delivery import DeliveryWorker
from tests.conftest import Clock, Tokens
from tests.integration.dataorders.flow import API, download, order_all, stage_everything, status_of
from tests.integration.webhooks.conftest import DATA_HOOKS, worker_for
from tests.support.webhook_receiver import WebhookReceiver, webhook_receiver

BOTH = ("dataorder.status_changed", "dataorder.files_available")
OLA = "ola@example.com"


@pytest.fixture
async def deliveries(database: Database, settings: Settings, clock: Clock) -> AsyncIterator[DeliveryWorker]:
    worker = worker_for(database, settings, clock)
    yield worker
    await worker.aclose()


async def subscribe(
    http: httpx.AsyncClient, user: dict[str, str], url: str, events: tuple[str, ...] = BOTH
) -> str:
    """Subscribe through the API; the signing secret the 201 answer shows once."""
    answer = await http.post(DATA_HOOKS, json={"url": url, "events": list(events)}, headers=user)
    assert answer.status_code == 201, answer.text
    secret: str = answer.json()["secret"]
    return secret


async def delivered(
    deliveries: DeliveryWorker, receiver: WebhookReceiver, secret: str
) -> list[dict[str, Any]]:
    """Every event the receiver acknowledged so far, each verified with `secret`, once the worker has
    posted what is pending; each also read as the OpenAPI document's model of its type."""
    await deliveries.step_and_settle()
    payloads = receiver.payloads(secret)
    for payload in payloads:
        model = (
            DataOrderStatusChangedEvent
            if payload["type"] == "dataorder.status_changed"
            else DataOrderFilesAvailableEvent
        )
        model.model_validate(payload)
    return payloads


def changes(payloads: list[dict[str, Any]]) -> list[tuple[str, str] | str]:
    """The status changes as (old, new), and `files` where files were made available, in order."""
    return [
        (payload["data"]["oldStatus"], payload["data"]["newStatus"])
        if payload["type"] == "dataorder.status_changed"
        else "files"
        for payload in payloads
    ]


async def act(http: httpx.AsyncClient, user: dict[str, str], method: str, path: str) -> int:
    return (await http.request(method, f"{API}{path}", headers=user)).status_code


async def test_order_life__every_change_and_the_files_arrive_signed__nothing_for_another_user(
    http: httpx.AsyncClient,
    user: dict[str, str],
    tokens: Tokens,
    worker: StagingWorker,
    deliveries: DeliveryWorker,
    catalog: Path,
) -> None:
    with webhook_receiver() as ours, webhook_receiver() as theirs:
        secret = await subscribe(http, user, ours.url)
        await subscribe(http, tokens.user("kari@example.com"), theirs.url)
        order_id = await order_all(http, user, "ds1")
        placed = await delivered(deliveries, ours, secret)

        await stage_everything(worker)
        staged = await delivered(deliveries, ours, secret)
        # The files event's link: absolute, on the configured base, listing what it announced.
        url = staged[1]["data"]["filesAvailableUrl"]
        listed = await http.get(url.removeprefix("http://testserver"), headers=user)

        # Downloading changes no status (DONE stays DONE): no event.
        _code, page = await status_of(http, user, order_id)
        for item in page["content"]:
            await download(http, user, item)
        after_downloads = await delivered(deliveries, ours, secret)

    assert placed == []  # placing an order is no change
    assert changes(staged) == [("PENDING", "RUNNING"), "files", ("RUNNING", "DONE")]
    started, files, done = staged
    label = files["data"]["label"]
    assert started["data"] == {
        "orderId": order_id,
        "label": label,
        "owner": OLA,
        "oldStatus": "PENDING",
        "newStatus": "RUNNING",
        "changedAt": started["data"]["changedAt"],
    }
    assert started["data"]["changedAt"].endswith("Z")
    assert started["timestamp"] == started["data"]["changedAt"]
    assert files["data"]["orderId"] == order_id
    assert files["data"]["filesAvailable"] == 4
    assert isinstance(files["data"]["subOrderId"], int)
    assert done["data"]["owner"] == OLA
    assert url == f"http://testserver{API}/user/orders/{order_id}/files/available"
    assert listed.status_code == 200
    assert listed.json()["metadata"]["totalElements"] == 4
    assert after_downloads == staged
    assert theirs.received == []


async def test_pause_resume_delete__each_change_arrives_in_order(
    http: httpx.AsyncClient,
    user: dict[str, str],
    worker: StagingWorker,
    deliveries: DeliveryWorker,
    big_catalog: Path,
) -> None:
    with webhook_receiver() as receiver:
        secret = await subscribe(http, user, receiver.url)
        order_id = await order_all(http, user, "big")  # three sub-orders
        await worker.step()  # the first staged

        assert await act(http, user, "PUT", f"/user/orders/pause/{order_id}") == 200
        assert await act(http, user, "PUT", f"/user/orders/resume/{order_id}") == 200
        assert await act(http, user, "PUT", f"/user/orders/pause/{order_id}") == 200
        assert await act(http, user, "DELETE", f"/user/orders/{order_id}") == 200
        payloads = await delivered(deliveries, receiver, secret)

    assert changes(payloads) == [
        ("PENDING", "RUNNING"),
        "files",
        ("RUNNING", "PAUSED"),
        ("PAUSED", "RUNNING"),
        ("RUNNING", "PAUSED"),
        ("PAUSED", "DELETED"),
    ]
    assert {payload["data"]["orderId"] for payload in payloads} == {order_id}
    assert payloads[1]["data"]["filesAvailable"] == 1
    # In the order the changes happened, and so are their times.
    times = [payload["data"]["changedAt"] for payload in payloads]
    assert times == sorted(times)


async def test_refused_actions__no_event__the_allowed_one_after_them_arrives_alone(
    http: httpx.AsyncClient, user: dict[str, str], deliveries: DeliveryWorker, catalog: Path
) -> None:
    with webhook_receiver() as receiver:
        secret = await subscribe(http, user, receiver.url)
        order_id = await order_all(http, user, "ds1")

        assert await act(http, user, "PUT", f"/user/orders/resume/{order_id}") == 409
        assert await act(http, user, "DELETE", f"/user/orders/{order_id}") == 409
        assert await act(http, user, "PUT", f"/user/orders/{order_id}/retry") == 409
        assert await act(http, user, "PUT", f"/user/orders/pause/{order_id}") == 200
        payloads = await delivered(deliveries, receiver, secret)

    assert changes(payloads) == [("PENDING", "PAUSED")]


async def test_a_changed_catalogue_file__done_with_warning__retry_runs_and_settles_again(
    http: httpx.AsyncClient,
    user: dict[str, str],
    worker: StagingWorker,
    deliveries: DeliveryWorker,
    catalog: Path,
) -> None:
    with webhook_receiver() as receiver:
        secret = await subscribe(http, user, receiver.url, ("dataorder.status_changed",))
        order_id = await order_all(http, user, "ds1")
        (catalog / "top.dat").write_bytes(b"not what was ordered")  # its copy fails the checksum
        await stage_everything(worker)
        assert await act(http, user, "PUT", f"/user/orders/{order_id}/retry") == 200
        await stage_everything(worker)
        payloads = await delivered(deliveries, receiver, secret)

    # Subscribed to status changes only: no files event.
    assert changes(payloads) == [
        ("PENDING", "RUNNING"),
        ("RUNNING", "DONE_WITH_WARNING"),
        ("DONE_WITH_WARNING", "RUNNING"),
        ("RUNNING", "DONE_WITH_WARNING"),
    ]


async def test_expiry__expired_arrives(
    http: httpx.AsyncClient,
    user: dict[str, str],
    deliveries: DeliveryWorker,
    small_suborders: Settings,
    database: Database,
    clock: Clock,
    catalog: Path,
) -> None:
    expiry = ExpiryWorker(database, ExpiryRules(area=small_suborders.home / "dataorders"), clock)
    with webhook_receiver() as receiver:
        secret = await subscribe(http, user, receiver.url)
        order_id = await order_all(http, user, "ds1")
        clock.stop()
        clock.advance(timedelta(days=8))  # past any order's lifetime (a week at most)
        assert await expiry.expire() == 1
        expired_at = clock()
        # Delivered now: a receiver refuses a signature time far from its own clock.
        clock.set(datetime.now(UTC))
        payloads = await delivered(deliveries, receiver, secret)

    assert changes(payloads) == [("PENDING", "EXPIRED")]
    assert payloads[0]["data"]["orderId"] == order_id
    assert payloads[0]["data"]["changedAt"] == expired_at.isoformat().replace("+00:00", "Z")


@contextmanager
def subscription_reads(database: Database) -> Iterator[list[str]]:
    """The statements that read webhook subscriptions while the block runs, on every engine."""
    seen: list[str] = []

    def note(_connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "FROM webhook_subscription" in statement:
            seen.append(statement)

    engines = [engine.sync_engine for engine in database.engines]
    for engine in engines:
        event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", note)


async def test_nobody_subscribed__one_look_up_per_transaction_that_changes_something(
    http: httpx.AsyncClient,
    user: dict[str, str],
    worker: StagingWorker,
    database: Database,
    catalog: Path,
) -> None:
    order_id = await order_all(http, user, "ds1")  # one sub-order
    with subscription_reads(database) as reads:
        await stage_everything(worker)
        staging_reads = len(reads)
        _code, page = await status_of(http, user, order_id)
        for item in page["content"]:
            await download(http, user, item)
        assert await act(http, user, "PUT", f"/user/orders/resume/{order_id}") == 409

    # The claim that started the order, and the result: files available and DONE, recorded together.
    assert staging_reads == 2
    assert len(reads) == 2  # downloads changed no status, the refusal nothing
