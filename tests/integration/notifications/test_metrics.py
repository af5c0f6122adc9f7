"""`GET /metrics` moves with the work: an order placed and sent through the outbox shows in the
orders, transitions and due-to-provider series; requests are counted by route template; the queues'
depth and age are read at scrape time."""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta
from pathlib import Path

import httpx

from orderdesk.notifications.tasks.pipeline import NotificationPipeline
from tests.conftest import Clock
from tests.factories.notifications import email_order
from tests.support.metrics import scrape
from tests.support.notifications_api import API, place, status


async def test_metrics__an_email_order_placed_and_sent__orders_transitions_and_latency_move(
    client: httpx.AsyncClient, auth: dict[str, str], pipeline: NotificationPipeline
) -> None:
    before = await scrape(client)
    order_id = await place(
        client,
        auth,
        "/orders/email",
        email_order(requestedSendTime=None, recipients=[{"emailAddress": "ola@example.com"}]),
    )
    await pipeline.run_until_idle()
    assert (await status(client, auth, order_id))["processingStatus"]["status"] == "Completed"
    after = await scrape(client)

    def moved(name: str, **labels: str) -> float:
        return after.value(name, **labels) - before.value(name, **labels)

    assert moved("orderdesk_orders_placed_total", family="notifications", type="notification") == 1
    for entered in ("New", "Sending", "Delivered"):
        assert moved("orderdesk_notification_transitions_total", channel="email", status=entered) == 1
    assert moved("orderdesk_notification_due_to_provider_seconds_count", channel="email") == 1
    assert moved("orderdesk_provider_errors_total", provider="email-outbox", kind="temporary") == 0
    assert "# HELP orderdesk_orders_placed_total Orders accepted" in after.text


async def test_metrics__requests_counted_by_route_template__never_by_raw_path(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    template = "/notifications/api/v1/orders/{id}"
    before = await scrape(client)
    unknown = str(uuid.uuid4())
    assert (await client.get(f"{API}/orders/{unknown}", headers=auth)).status_code == 404
    assert (await client.get("/no/such/path")).status_code == 404
    after = await scrape(client)

    route = {"route": template, "method": "GET", "status": "404"}
    requests = "orderdesk_http_requests_total"
    assert after.value(requests, **route) - before.value(requests, **route) == 1
    durations = "orderdesk_http_request_duration_seconds_count"
    assert after.value(durations, route=template, method="GET") >= 1
    unmatched = {"route": "unmatched", "method": "GET", "status": "404"}
    assert after.value(requests, **unmatched) - before.value(requests, **unmatched) == 1
    assert unknown not in after.text
    assert "/no/such/path" not in after.text


async def test_metrics__queue_depth_and_oldest_age__read_from_the_database_at_scrape_time(
    client: httpx.AsyncClient, auth: dict[str, str], pipeline: NotificationPipeline, clock: Clock
) -> None:
    empty = await scrape(client)
    assert empty.value("orderdesk_queue_depth", queue="notification-orders") == 0
    assert empty.value("orderdesk_queue_oldest_due_age_seconds", queue="notification-orders") == 0

    for _ in range(2):
        await place(client, auth, "/orders/email", email_order(requestedSendTime=None))
    clock.advance(timedelta(minutes=5))
    waiting = await scrape(client)
    assert waiting.value("orderdesk_queue_depth", queue="notification-orders") == 2
    assert waiting.value("orderdesk_queue_oldest_due_age_seconds", queue="notification-orders") >= 300
    assert waiting.value("orderdesk_queue_depth", queue="email") == 0

    await pipeline.run_until_idle()
    drained = await scrape(client)
    for queue in ("notification-orders", "email", "sms"):
        assert drained.value("orderdesk_queue_depth", queue=queue) == 0
        assert drained.value("orderdesk_queue_oldest_due_age_seconds", queue=queue) == 0


async def test_deploy_dashboard__uses_only_series_metrics_exposes(client: httpx.AsyncClient) -> None:
    exposed = set(re.findall(r"^# HELP (\S+)", (await scrape(client)).text, re.MULTILINE))
    deploy = Path(__file__).resolve().parents[3] / "deploy"
    dashboard = json.loads((deploy / "grafana-dashboard.json").read_text(encoding="utf-8"))
    used = {
        re.sub(r"_(bucket|count|sum)$", "", name)
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"orderdesk_\w+", target["expr"])
    }
    assert used
    assert used <= exposed, used - exposed
