"""Errors of the notification family, each with its problem mapping (status and code). The current
API generation names its problems on the wire by the codes `NOT-00001` … of the original service."""

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


class MissingContactInformation(DomainError):
    """Missing contact information for recipient(s)."""

    status = HTTPStatus.UNPROCESSABLE_ENTITY
    code = "NOT-00001"
    code_on_wire = True


class ShipmentNotFound(DomainError):
    """Shipment not found."""

    status = HTTPStatus.NOT_FOUND
    code = "NOT-00003"
    code_on_wire = True


class ProviderUnavailable(DomainError):
    """A temporary network failure occurred: the provider could not take the notification. Nothing was
    stored; send the request again with the same idempotency id."""

    status = HTTPStatus.SERVICE_UNAVAILABLE
    code = "NOT-00004"
    code_on_wire = True
    retry_after_seconds = 5
