"""Domain values of data orders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID


@dataclass(frozen=True, slots=True)
class ImportSummary:
    dataset: str
    products: int
    files: int
    bytes: int
    added: int
    changed: int
    removed: int


@dataclass(frozen=True, slots=True)
class SelectionSummary:
    id: UUID
    dataset: str
    product_ids: tuple[str, ...] | None
    filename_pattern: str | None
    products: int
    files: int
    bytes: int


@dataclass(frozen=True, slots=True)
class Basket:
    owner: str
    selections: list[SelectionSummary]

    @property
    def files(self) -> int:
        return sum(selection.files for selection in self.selections)

    @property
    def bytes(self) -> int:
        return sum(selection.bytes for selection in self.selections)


class OrderStatus(StrEnum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    PAUSED = "PAUSED"
    EXPIRED = "EXPIRED"
    FAILED = "FAILED"
    DONE_WITH_WARNING = "DONE_WITH_WARNING"
    DONE = "DONE"
    DELETED = "DELETED"


GONE = (OrderStatus.DELETED.value, OrderStatus.EXPIRED.value)
"""Statuses of orders whose staged files are removed: nothing of them is served any more."""


class FileState(StrEnum):
    PENDING = "PENDING"
    AVAILABLE = "AVAILABLE"
    DOWNLOADED = "DOWNLOADED"
    DOWNLOAD_ERROR = "DOWNLOAD_ERROR"
    ERROR = "ERROR"


class SuborderState(StrEnum):
    WAITING = "WAITING"
    """Waiting for one of its owner's slots (at most `max_suborders_per_user` staging or staged)."""
    STAGING = "STAGING"
    STAGED = "STAGED"
    """Its files are staged; it holds its owner's slot until they are downloaded."""
    ENDED = "ENDED"


@dataclass(frozen=True, slots=True)
class DatasetPart:
    dataset: str
    products: int
    files: int
    bytes: int


@dataclass(frozen=True, slots=True)
class DataOrder:
    id: int
    owner: str
    label: str
    status: OrderStatus
    status_changed_at: datetime
    created_at: datetime
    expires_at: datetime
    files_count: int
    files_size: int
    percent_completed: int
    files_in_error: int
    available_files: int
    waiting_for_user: bool
    correlation_id: str
    on_success_url: str | None
    message: str | None
    datasets: list[DatasetPart]
