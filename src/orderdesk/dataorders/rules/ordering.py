"""Rules of placing a data order: how its files split into sub-orders, how long it lives, its label."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from orderdesk.dataorders.models import CatalogueFile
from orderdesk.dataorders.rules.buckets import Sized, split

MAX_LABEL = 50
USER_SUBORDER_HOURS = 240
"""Sub-order duration of orders placed from the basket (and restarted)."""
APPLIED_SUBORDER_HOURS = 2
"""Sub-order duration of orders applied in one call."""
MAX_EXPIRY_HOURS = 168
IDS_PER_QUERY = 1000
"""Product ids looked up in one statement."""


@dataclass(frozen=True, slots=True)
class OrderingRules:
    bucket_bytes: int
    """The size at which a sub-order is closed (after the product that reaches it)."""


@dataclass(frozen=True, slots=True)
class _File(Sized):
    file: CatalogueFile


def suborders_of(files: Sequence[CatalogueFile], *, bucket_bytes: int) -> list[list[CatalogueFile]]:
    """The files in product order (dataset, product id, storage key), split into sub-orders."""
    sized = sorted(
        (_File((file.dataset, file.product_id), file.size, file) for file in files),
        key=lambda item: (item.product_key, item.file.storage_key),
    )
    return [[item.file for item in bucket] for bucket in split(sized, max_bytes=bucket_bytes)]


def lifetime(suborders: int, suborder_hours: int) -> timedelta:
    """(sub-orders + 2) x the sub-order duration, at most a week."""
    hours = suborder_hours if suborders == 0 else (suborders + 2) * suborder_hours
    return timedelta(hours=min(hours, MAX_EXPIRY_HOURS))


def default_label(now: datetime) -> str:
    return f"Order of {now:%Y/%m/%d} at {now:%H:%M:%S}"


def label_base(label: str) -> str:
    """The label as asked for, trimmed to what a label may hold."""
    return label.strip()[:MAX_LABEL]


def label_prefix(base: str) -> str:
    """What every label `unique_label` may make of `base` starts with (room for ` (n)`)."""
    return base[: MAX_LABEL - 6]


def unique_label(base: str, taken: set[str]) -> str:
    """`base`, or `base` with ` (n)` (shortened to fit) when the owner has that label already;
    `taken`: the owner's labels that start with `label_prefix(base)`."""
    if base not in taken:
        return base
    number = 2
    while True:
        suffix = f" ({number})"
        candidate = base[: MAX_LABEL - len(suffix)] + suffix
        if candidate not in taken:
            return candidate
        number += 1
