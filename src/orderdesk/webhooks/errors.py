"""Errors of webhooks a client can cause, each with its problem mapping."""

from __future__ import annotations

from http import HTTPStatus

from orderdesk.core.errors import DomainError


class SubscriptionNotFound(DomainError):
    """No such webhook subscription (another owner's is not found either)."""

    status = HTTPStatus.NOT_FOUND
    code = "WEBHOOK-NOT-FOUND"


class TooManySubscriptions(DomainError):
    """The owner has as many webhook subscriptions as one owner may have; delete one first."""

    status = HTTPStatus.CONFLICT
    code = "WEBHOOK-LIMIT-REACHED"


class SubscriptionDisabled(DomainError):
    """The webhook subscription is disabled: nothing is posted to it."""

    status = HTTPStatus.CONFLICT
    code = "WEBHOOK-DISABLED"
