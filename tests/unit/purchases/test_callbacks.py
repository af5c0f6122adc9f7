"""The rules of callbacks: the URL called, and what a call's result leaves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from orderdesk.core.backoff import Backoff
from orderdesk.purchases.errors import NoCallbackToMake
from orderdesk.purchases.models import CallbackOutcome, CallbackState, OrderStatus
from orderdesk.purchases.rules.callbacks import callback_outcome, callback_target, check_callback_to_make

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
BACKOFF = Backoff.of_seconds(10, 60)


@pytest.mark.parametrize(
    ("status", "word"),
    [(OrderStatus.PROCESSED, "success"), (OrderStatus.FAILED, "failed"), (OrderStatus.CONFIRMED, "failed")],
)
def test_callback_target__status__success_only_when_processed(status: OrderStatus, word: str) -> None:
    assert callback_target("https://shop.example/cb", 42, status) == (
        f"https://shop.example/cb?fulfillmentStatus={word}&orderId=42"
    )


def test_callback_target__url_with_query_and_fragment__ours_appended_theirs_kept() -> None:
    target = callback_target("https://shop.example/cb?a=1&b=%20x#top", 7, OrderStatus.PROCESSED)

    assert target == "https://shop.example/cb?a=1&b=%20x&fulfillmentStatus=success&orderId=7#top"


def test_callback_outcome__no_error__delivered_and_due_time_left() -> None:
    assert callback_outcome(None, 2, 3, BACKOFF, NOW) == CallbackOutcome(
        attempts=2, error=None, state=CallbackState.DELIVERED, due_at=None
    )


def test_callback_outcome__error_with_attempts_left__due_again_after_the_backoff() -> None:
    assert callback_outcome("HTTP 500", 2, 3, BACKOFF, NOW) == CallbackOutcome(
        attempts=2, error="HTTP 500", state=None, due_at=NOW + timedelta(seconds=20)
    )


def test_callback_outcome__backoff__capped() -> None:
    outcome = callback_outcome("HTTP 500", 9, 10, BACKOFF, NOW)

    assert outcome.due_at == NOW + timedelta(seconds=60)


@pytest.mark.parametrize("made", [3, 4])
def test_callback_outcome__last_attempt_failed__abandoned(made: int) -> None:
    assert callback_outcome("HTTP 404", made, 3, BACKOFF, NOW) == CallbackOutcome(
        attempts=made, error="HTTP 404", state=CallbackState.ABANDONED, due_at=None
    )


@pytest.mark.parametrize("status", [OrderStatus.PROCESSED, OrderStatus.FAILED])
def test_check_callback_to_make__fulfilment_ended_with_a_url__allowed(status: OrderStatus) -> None:
    check_callback_to_make(status, "https://shop.example/cb")


@pytest.mark.parametrize(
    ("status", "url", "words"),
    [
        (OrderStatus.PROCESSED, None, "no callback URL"),
        (OrderStatus.CONFIRMED, "https://shop.example/cb", "The order is confirmed"),
        (OrderStatus.PRELIMINARY, "https://shop.example/cb", "The order is preliminary"),
    ],
)
def test_check_callback_to_make__no_url_or_fulfilment_not_ended__refused_saying_why(
    status: OrderStatus, url: str | None, words: str
) -> None:
    with pytest.raises(NoCallbackToMake, match=words):
        check_callback_to_make(status, url)
