"""Errors of data orders that a client can cause."""

from __future__ import annotations

from orderdesk.core.errors import DomainError


class DatasetNotFound(DomainError):
    """No dataset of that name is in the catalogue."""

    code = "DATASET-NOT-FOUND"


class EmptySelection(DomainError):
    """The selection holds no file: nothing was added to the basket."""

    code = "EMPTY-SELECTION"
