"""Authentication and authorisation failures, answered 401 and 403."""

from __future__ import annotations

from http import HTTPStatus

from orderdesk.core.errors import DomainError


class Unauthenticated(DomainError):
    """The authorization header is missing, invalid or expired."""

    status = HTTPStatus.UNAUTHORIZED
    code = "UNAUTHENTICATED"


class Forbidden(DomainError):
    """The token lacks the required scope, or no organisation can be derived from it."""

    status = HTTPStatus.FORBIDDEN
    code = "FORBIDDEN"
