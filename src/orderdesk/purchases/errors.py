"""Errors of purchase orders that a client can cause, and the refusal that fails an order in processing."""

from __future__ import annotations

from http import HTTPStatus

from orderdesk.core.errors import DomainError


class OrderNotFound(DomainError):
    """No order of this client has that id."""

    status = HTTPStatus.NOT_FOUND
    code = "ORDER-NOT-FOUND"


class RateLimited(DomainError):
    """Too many calls: the client's rate limit is used up."""

    status = HTTPStatus.TOO_MANY_REQUESTS
    code = "RATE-LIMITED"


class UnknownClient(DomainError):
    """The access token names a client this database does not know (removed, or another installation's)."""

    status = HTTPStatus.UNAUTHORIZED
    code = "UNKNOWN-CLIENT"


class ClientNotFound(DomainError):
    """No client of the purchase API has that id or name."""

    status = HTTPStatus.NOT_FOUND
    code = "CLIENT-NOT-FOUND"


class OrderRejected(Exception):
    """Why a confirmed order cannot be processed; the message becomes its failure reason. Not a
    DomainError: no request sees it, the order fails with it."""


class NoCallbackToMake(DomainError):
    """The order has no callback to make: no callback URL was given, or its fulfilment has not ended
    (the callback tells how it ended)."""

    status = HTTPStatus.CONFLICT
    code = "NO-CALLBACK-TO-MAKE"
