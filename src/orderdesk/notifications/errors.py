"""Errors of the notification family; web/problems.py maps each to a status."""

from __future__ import annotations

from orderdesk.core.errors import DomainError


class OrderNotFound(DomainError):
    """No order matching the provided id was found."""

    code = "ORDER-NOT-FOUND"


class CancellationProhibited(DomainError):
    """The order cannot be cancelled: processing has started or its send time is less than five
    minutes away."""

    code = "CANCELLATION-PROHIBITED"
