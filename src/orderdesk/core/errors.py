"""The base of every domain error; the web layer maps each class to a status and a problem type."""

from __future__ import annotations


class DomainError(Exception):
    """An error a client can cause; its docstring is the default message."""

    code: str = "ORDERDESK-ERROR"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or (self.__doc__ or self.code).strip())

    @property
    def message(self) -> str:
        return str(self.args[0])


class InvalidInput(DomainError):
    """One or more validation errors occurred."""

    code = "INVALID-INPUT"

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__()
        self.errors = errors


class DatabaseUnavailable(DomainError):
    """The database refused a connection (too many clients, not reachable, or no pooled connection
    free in time); try again shortly."""

    code = "DATABASE-UNAVAILABLE"
    retry_after_seconds = 5
    """What `Retry-After` tells the client: long enough for a burst to drain or a restart to end."""
