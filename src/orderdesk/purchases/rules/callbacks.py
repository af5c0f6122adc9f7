"""The rules of callbacks: the URL a client is called at, and what one call's result leaves."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode, urlsplit, urlunsplit

from orderdesk.core.backoff import Backoff
from orderdesk.purchases.errors import NoCallbackToMake
from orderdesk.purchases.models import CallbackOutcome, CallbackState, OrderStatus

OUTCOME_KNOWN = (OrderStatus.PROCESSED, OrderStatus.FAILED)
"""Statuses of orders whose fulfilment has ended: what their callback tells."""


def callback_target(url: str, order_id: int, status: OrderStatus) -> str:
    """The URL with `fulfillmentStatus` and `orderId` added after its own query, left as it was."""
    parts = urlsplit(url)
    ours = urlencode(
        {"fulfillmentStatus": "success" if status is OrderStatus.PROCESSED else "failed", "orderId": order_id}
    )
    return urlunsplit(parts._replace(query=f"{parts.query}&{ours}" if parts.query else ours))


def callback_message_id(order_id: int) -> str:
    """The callback's `webhook-id`: one per order (an order has one outcome to tell), so every call of
    it, retries and an operator's new round alike, carries the same id and a receiver drops repeats."""
    return f"msg_purchase_order_{order_id}"


def callback_outcome(
    error: str | None, made: int, allowed: int, backoff: Backoff, now: datetime
) -> CallbackOutcome:
    """After the `made`-th call (1 for the first): delivered without an error; abandoned once `allowed`
    calls failed; otherwise due again after the back-off."""
    if error is None:
        return CallbackOutcome(attempts=made, error=None, state=CallbackState.DELIVERED)
    if made >= allowed:
        return CallbackOutcome(attempts=made, error=error, state=CallbackState.ABANDONED)
    return CallbackOutcome(attempts=made, error=error, due_at=now + backoff.delay(made))


def check_callback_to_make(status: OrderStatus, url: str | None) -> None:
    """NoCallbackToMake unless the order has a callback URL and its fulfilment has ended."""
    if url is None:
        raise NoCallbackToMake("The order has no callback URL: there is no one to call back.")
    if status not in OUTCOME_KNOWN:
        raise NoCallbackToMake(
            f"The order is {status.value}: its callback is made once fulfilment has ended."
        )
