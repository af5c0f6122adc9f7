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
