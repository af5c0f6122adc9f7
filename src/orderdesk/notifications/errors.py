"""Errors of the notification family, each with its problem mapping (status and code)."""

from __future__ import annotations

from http import HTTPStatus

from orderdesk.core.errors import DomainError


class OrderNotFound(DomainError):
    """No order matching the provided id was found."""

    status = HTTPStatus.NOT_FOUND
    code = "ORDER-NOT-FOUND"


class CancellationProhibited(DomainError):
    """The order cannot be cancelled: processing has started or its send time is less than five
    minutes away."""

    status = HTTPStatus.CONFLICT
    code = "CANCELLATION-PROHIBITED"
