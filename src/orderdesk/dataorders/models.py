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
class DatasetListing:
    """A dataset as `orderdesk catalog list` shows it: its files not removed, and their bytes."""

    name: str
    location: str
    imported_at: datetime
    files: int
    bytes: int


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
class CatalogueFile:
    """A catalogue file as an order copies it."""

    id: UUID
    dataset: str
    product_id: str
    filename: str
    storage_key: str
    size: int
    mime_type: str
    md5: str


@dataclass(frozen=True, slots=True)
class CataloguedKey:
    """What the catalogue holds under a storage key of a dataset."""

    size: int
    md5: str
    removed: bool


@dataclass(frozen=True, slots=True)
class Selection:
    """What a user picks from the catalogue (see rules.selection)."""

    dataset: str
    product_ids: tuple[str, ...] | None
    """None: every product of the dataset."""
    filename_pattern: str | None
    """A pattern checked by rules.selection.checked_pattern; None: every file."""


@dataclass(frozen=True, slots=True)
class BasketSelection:
    id: UUID
    selection: Selection


@dataclass(frozen=True, slots=True)
class OrderRow:
    """A data order as stored, without its per-dataset counts (what status polls and downloads need)."""

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


@dataclass(frozen=True, slots=True)
class DataOrder(OrderRow):
    """A data order with its per-dataset counts, as the order pages show it."""

    datasets: list[DatasetPart]


@dataclass(frozen=True, slots=True)
class NewOrder:
    owner: str
    label: str
    created_at: datetime
    expires_at: datetime
    files_count: int
    files_size: int
    on_success_url: str | None
    correlation_id: str


@dataclass(frozen=True, slots=True)
class NewSuborder:
    order_id: int
    owner: str
    sequence: int
    files_count: int
    files_size: int
    due_at: datetime


@dataclass(frozen=True, slots=True)
class OrderFile:
    """A file of an order: a copy of the catalogue entry as ordered, and its state."""

    id: UUID
    order_id: int
    suborder_id: int
    catalog_file_id: UUID
    dataset: str
    product_id: str
    filename: str
    storage_key: str
    size: int
    mime_type: str
    md5: str
    state: FileState
    state_changed_at: datetime
    error: str | None


@dataclass(frozen=True, slots=True)
class OwnedFile:
    """An order's file with what deciding whether to serve it needs of its order."""

    file: OrderFile
    owner: str
    order_status: OrderStatus
    order_expires_at: datetime


@dataclass(frozen=True, slots=True)
class AvailableFiles:
    """A page of an order's AVAILABLE files; `over` when nothing more will become available."""

    over: bool
    files: list[OrderFile]
    total: int


@dataclass(frozen=True, slots=True)
class SuborderCandidate:
    id: int
    order_id: int
    owner: str
    state: SuborderState
    lease_token: UUID | None


@dataclass(frozen=True, slots=True)
class ClaimedSuborder:
    id: int
    order_id: int
    token: UUID
    """The lease: only its holder may renew it or record the outcome."""


@dataclass(frozen=True, slots=True)
class FileToStage:
    """A PENDING file of a sub-order, with the catalogue entry it was ordered from as it is now (None
    where the dataset or the file is gone)."""

    id: UUID
    storage_key: str
    md5: str
    location: str | None
    removed_at: datetime | None
    catalog_md5: str | None
    size: int = 0
    """The bytes ordered (the metrics count what staging copies)."""


@dataclass(frozen=True, slots=True)
class StagingOutcome:
    file_id: UUID
    state: FileState
    error: str | None


@dataclass(frozen=True, slots=True)
class StateTally:
    """How many files of an order are in one state, and their bytes."""

    state: FileState
    files: int
    bytes: int


@dataclass(frozen=True, slots=True)
class Progress:
    """The counters of an order that follow its files."""

    available_files: int
    files_in_error: int
    percent_completed: int
    waiting_for_user: bool


@dataclass(frozen=True, slots=True)
class OrderLife:
    """What deciding whether an order's staged files may stay needs."""

    id: int
    status: OrderStatus
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class SuborderRecord:
    """A sub-order as the people who run orderdesk see it."""

    id: int
    sequence: int
    state: SuborderState
    files_count: int
    files_size: int
    due_at: datetime
    """WAITING: when it may be staged; STAGING: when the lease of the worker staging it runs out."""
    leased: bool
    """A worker holds it (is staging it)."""
