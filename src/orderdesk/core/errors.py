"""The base of every domain error. Each error class carries its own problem mapping (HTTP status,
optional title, stable code), so that the web layer renders any of them without knowing its family."""

from __future__ import annotations

from http import HTTPStatus
from typing import ClassVar


class DomainError(Exception):
    """An error a client can cause; its docstring is the default message.

    Subclasses declare `status` (the HTTP status it is answered with), `code` (stable, spelled in
    UPPER-KEBAB-CASE in every family, e.g. `ORDER-NOT-FOUND`, or the original's `NOT-00001`) and,
    only where the standard title of the status does not fit, `title`. A class that declares no
    status is an internal error (500)."""

    status: ClassVar[HTTPStatus] = HTTPStatus.INTERNAL_SERVER_ERROR
    code: ClassVar[str] = "ORDERDESK-ERROR"
    title: ClassVar[str | None] = None
    code_on_wire: ClassVar[bool] = False
    """Whether the problem body names the error by `code`: the current notification API generation
    does (`NOT-00001` …), the older APIs have no such field."""

    def __init__(self, message: str | None = None) -> None:
        # A docstring wrapped over lines is one sentence to a client: its line breaks and indentation
        # would otherwise reach problem bodies and CLI output as they are in the source.
        super().__init__(message or " ".join((self.__doc__ or self.code).split()))

    @property
    def message(self) -> str:
        return str(self.args[0])


class InvalidInput(DomainError):
    """One or more validation errors occurred."""

    status = HTTPStatus.BAD_REQUEST
    code = "INVALID-INPUT"

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__()
        self.errors = errors


class DatabaseUnavailable(DomainError):
    """The database refused a connection (too many clients, not reachable, or no pooled connection
    free in time); try again shortly."""

    status = HTTPStatus.SERVICE_UNAVAILABLE
    code = "DATABASE-UNAVAILABLE"
    retry_after_seconds = 5
    """What `Retry-After` tells the client: long enough for a burst to drain or a restart to end."""
