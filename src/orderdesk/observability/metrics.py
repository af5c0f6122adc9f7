"""The metric objects of every process (`orderdesk_…` series) and one helper per thing counted, so
that each instrumented place is one line and knows no metric names or labels.

Importing this module imports prometheus_client, which decides then, once per process, whether
values go to the shared multiprocess directory: `serve` and `worker` call
`multiprocess.use_directory` before anything imports it."""

from __future__ import annotations

import functools
from collections.abc import Iterable

from prometheus_client import Counter, Histogram

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED_ROUTE = "unmatched"
"""The route label of a request no route served (404): never the raw path, which has no bound."""

http_requests = Counter(
    "orderdesk_http_requests",
    "HTTP requests answered, by route template, method and status code.",
    ["route", "method", "status"],
)
http_request_duration = Histogram(
    "orderdesk_http_request_duration_seconds",
    "Time from a request's arrival to the last byte of its answer, by route template and method.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
orders_placed = Counter(
    "orderdesk_orders_placed",
    "Orders accepted, by family and type; an idempotent repeat of an order is not counted again.",
    ["family", "type"],
)
notification_transitions = Counter(
    "orderdesk_notification_transitions",
    "Notifications that entered a status (created in it, claimed for sending, a send result, a "
    "delivery report, expiry), by channel and status.",
    ["channel", "status"],
)
due_to_provider = Histogram(
    "orderdesk_notification_due_to_provider_seconds",
    "Time from the send time an order asked for to the provider taking its message, by channel "
    "(retries and the SMS daytime window included: how late messages really go out).",
    ["channel"],
    buckets=(0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0, 4 * 3600.0, 24 * 3600.0),
)
provider_errors = Counter(
    "orderdesk_provider_errors",
    "Messages a provider did not take, by provider and kind: temporary (retried), permanent (the "
    "notification failed), throttled (the provider asked to slow down), exception (a fault of ours "
    "or the connection; retried).",
    ["provider", "kind"],
)
purchase_callbacks = Counter(
    "orderdesk_purchase_callbacks",
    "Calls of purchase clients' callback URLs, by outcome: delivered (2xx), retrying (failed, "
    "called again later), abandoned (failed, attempts used up).",
    ["outcome"],
)
staged_files = Counter(
    "orderdesk_dataorder_staged_files",
    "Data-order files staged, by the state they reached (AVAILABLE, or ERROR with the reason kept).",
    ["state"],
)
staged_bytes = Counter(
    "orderdesk_dataorder_staged_bytes",
    "Bytes copied into data-order areas by staging (files that reached AVAILABLE).",
)
rate_limit_refusals = Counter(
    "orderdesk_rate_limit_refusals",
    "Requests refused with 429 by a rate limit: purchase API calls per second or per minute, and "
    "`/oauth/token` attempts past the failed sign-in limit.",
    ["limit"],
)
webhook_attempts = Counter(
    "orderdesk_webhook_attempts",
    "Webhook POSTs made, by outcome: delivered (a 2xx answer), failed (another status, no answer "
    "within the deadline, no connection), refused (the URL's host resolved to an address outbound "
    "calls may not reach: no connection was opened).",
    ["outcome"],
)
webhook_events_pruned = Counter(
    "orderdesk_webhook_events_pruned",
    "Delivered and failed webhook events deleted past their retention.",
)

_CALLBACK_OUTCOMES = {"pending": "retrying", "delivered": "delivered", "abandoned": "abandoned"}


def http_request(route: str, method: str, status: int, seconds: float) -> None:
    """One answered request; an unknown method is `other`, so no client can add series at will."""
    counted, timed = _http_series(route, method if method in _METHODS else "other", status)
    counted.inc()
    timed.observe(seconds)


@functools.cache
def _http_series(route: str, method: str, status: int) -> tuple[Counter, Histogram]:
    """The labelled series of a request's kind, looked up once: the look-up was a third of what
    counting a request cost. Bounded: routes are templates, methods known ones, statuses the app's."""
    return http_requests.labels(route, method, str(status)), http_request_duration.labels(route, method)


def order_placed(family: str, kind: str, count: int = 1) -> None:
    _orders_placed(family, kind).inc(count)


@functools.cache
def _orders_placed(family: str, kind: str) -> Counter:
    """Looked up once, as `_http_series` (an intake counts one order)."""
    return orders_placed.labels(family, kind)


def notifications_entered(channel: str, statuses: Iterable[str]) -> None:
    """Notifications of one channel that entered these statuses (one entry per notification)."""
    counted: dict[str, int] = {}
    for status in statuses:
        counted[status] = counted.get(status, 0) + 1
    for status, count in counted.items():
        notification_transitions.labels(channel, status).inc(count)


def notifications_born(born: Iterable[tuple[str, str]]) -> None:
    """Notifications created, each as (channel, status): most New, some failed at once."""
    counted: dict[tuple[str, str], int] = {}
    for key in born:
        counted[key] = counted.get(key, 0) + 1
    for (channel, status), count in counted.items():
        notification_transitions.labels(channel, status).inc(count)


def handed_to_provider(channel: str, seconds: float) -> None:
    due_to_provider.labels(channel).observe(max(seconds, 0.0))


def provider_error(provider: str, kind: str) -> None:
    provider_errors.labels(provider, kind).inc()


def purchase_callback(state: str | None) -> None:
    """One call recorded, by the state it left the callback in (None: still pending, retried)."""
    purchase_callbacks.labels(_CALLBACK_OUTCOMES.get(state or "pending", str(state))).inc()


def file_staged(state: str, size: int) -> None:
    staged_files.labels(state).inc()
    if size:
        staged_bytes.inc(size)


def rate_limit_refused(limit: str) -> None:
    rate_limit_refusals.labels(limit).inc()


@functools.cache
def _webhook_attempts_of(outcome: str) -> Counter:
    return webhook_attempts.labels(outcome)


def webhook_attempt(outcome: str) -> None:
    """One POST of a webhook event: `delivered`, `failed` or `refused` (the labelled counter looked
    up once, not on every post)."""
    _webhook_attempts_of(outcome).inc()


def webhook_events_deleted(count: int) -> None:
    if count:
        webhook_events_pruned.inc(count)
