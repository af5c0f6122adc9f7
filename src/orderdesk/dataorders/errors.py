"""Errors of data orders that a client can cause."""

from __future__ import annotations

from orderdesk.core.errors import DomainError


class DatasetNotFound(DomainError):
    """No dataset of that name is in the catalogue."""

    code = "DATASET-NOT-FOUND"


class EmptySelection(DomainError):
    """The selection holds no file: nothing was added to the basket."""

    code = "EMPTY-SELECTION"


class EmptyBasket(DomainError):
    """The basket holds no file to order."""

    code = "EMPTY-BASKET"


class OrderNotFound(DomainError):
    """No data order has that id."""

    code = "ORDER-NOT-FOUND"


class FileNotReady(DomainError):
    """The file is still being staged; ask again later."""

    code = "FILE-NOT-READY"


class FileNotAvailable(DomainError):
    """The file could not be made available (gone from the catalogue, or changed since it was ordered)."""

    code = "FILE-NOT-AVAILABLE"


class ActionNotAllowed(DomainError):
    """The order's status does not allow this action now."""

    code = "ACTION-NOT-ALLOWED"
