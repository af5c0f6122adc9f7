"""Domain values of data orders."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ImportSummary:
    dataset: str
    products: int
    files: int
    bytes: int
    added: int
    changed: int
    removed: int
