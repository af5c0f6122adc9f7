"""Errors of data orders that a client can cause, each with its problem mapping (status and code)."""

from __future__ import annotations

from http import HTTPStatus

from orderdesk.core.errors import DomainError


class DatasetNotFound(DomainError):
    """No dataset of that name is in the catalogue."""

    status = HTTPStatus.NOT_FOUND
    code = "DATASET-NOT-FOUND"


class OrderNotFound(DomainError):
    """No data order has that id."""

    status = HTTPStatus.NOT_FOUND
    code = "ORDER-NOT-FOUND"


class FileNotAvailable(DomainError):
    """The file could not be made available (gone from the catalogue, or changed since it was ordered)."""

    status = HTTPStatus.UNPROCESSABLE_ENTITY
    code = "FILE-NOT-AVAILABLE"


class ActionNotAllowed(DomainError):
    """The order's status does not allow this action now."""

    status = HTTPStatus.CONFLICT
    code = "ACTION-NOT-ALLOWED"
