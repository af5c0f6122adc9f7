"""Authentication and authorisation failures; the web layer maps them to 401 and 403."""

from __future__ import annotations

from orderdesk.core.errors import DomainError


class Unauthenticated(DomainError):
    """The authorization header is missing, invalid or expired."""

    code = "UNAUTHENTICATED"


class Forbidden(DomainError):
    """The token lacks the required scope, or no organisation can be derived from it."""

    code = "FORBIDDEN"
