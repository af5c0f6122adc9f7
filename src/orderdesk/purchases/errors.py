"""Errors of purchase orders that a client can cause."""

from __future__ import annotations

from orderdesk.core.errors import DomainError


class OrderNotFound(DomainError):
    """No order of this client has that id."""

    code = "OrderNotFoundException"


class RateLimited(DomainError):
    """Too many calls: the client's rate limit is used up."""

    code = "TooManyRequestsException"


class CatalogInvalid(DomainError):
    """The product file is not valid."""

    code = "CatalogInvalid"


class UnknownClient(DomainError):
    """The access token names a client this database does not know (removed, or another installation's)."""

    code = "invalid_token"
