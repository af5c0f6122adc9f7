"""Domain values of data orders."""

from __future__ import annotations

from dataclasses import dataclass
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
