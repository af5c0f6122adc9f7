"""`GET /metrics`: every process's metrics on this home in the Prometheus text format, with the
queues' state read from the database at scrape time (one statement for the notification queues, see
queue_states, and one for the webhook outbox, see webhooks.repository.backlog)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import datetime

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client.core import GaugeMetricFamily

from orderdesk.notifications.repository.queue import DEPTH_COUNT_CAP, QueueState, queue_states
from orderdesk.observability import multiprocess
from orderdesk.web.deps import DatabaseDep, NowDep
from orderdesk.web.log_context import OrderLoggedRoute
from orderdesk.webhooks.repository.backlog import backlog

router = APIRouter(tags=["Health"], route_class=OrderLoggedRoute)

WEBHOOK_QUEUE = "webhook-events"
"""The queue label of webhook events waiting in the outbox (pending: due now or in back-off)."""


@router.get(
    "/metrics",
    summary="Metrics in the Prometheus text format (every process on this home added up)",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
async def get_metrics(database: DatabaseDep, now: NowDep) -> Response:
    """The queue gauges are left out, not the whole answer lost, when the database does not answer:
    an operator needs the other series most then."""
    try:
        async with database.read() as connection:
            queues = await queue_states(connection, now)
            waiting = await backlog(connection, DEPTH_COUNT_CAP)
        queues.append(QueueState(WEBHOOK_QUEUE, waiting.pending, waiting.oldest_at))
    except Exception:
        queues = []
    families = list(_queue_families(queues, now))
    body, content_type = await asyncio.to_thread(multiprocess.exposition, families)
    return Response(body, media_type=content_type)


def _queue_families(queues: list[QueueState], now: datetime) -> Iterable[GaugeMetricFamily]:
    depth = GaugeMetricFamily(
        "orderdesk_queue_depth",
        f"Rows due and waiting, counted up to {DEPTH_COUNT_CAP}: Registered notification orders past "
        "their send time, New e-mails and SMS due for sending (SMS wait here outside the daytime window), "
        "webhook events not yet delivered (those in back-off too).",
        labels=["queue"],
    )
    age = GaugeMetricFamily(
        "orderdesk_queue_oldest_due_age_seconds",
        "How long the oldest due row of each queue has been due (a webhook event: since it happened); "
        "0 when nothing waits.",
        labels=["queue"],
    )
    for state in queues:
        depth.add_metric([state.queue], state.depth)
        waited = (now - state.oldest_due_at).total_seconds() if state.oldest_due_at else 0.0
        age.add_metric([state.queue], max(waited, 0.0))
    if queues:
        yield depth
        yield age
