"""Splitting an order's files into sub-orders, as the original does: files are taken product by
product, and a sub-order is closed after the product that brings it to 5000 files or to the size
limit (a product is never split, so a sub-order can be larger than the limit)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import TypeVar

MAX_FILES_PER_SUBORDER = 5000


@dataclass(frozen=True, slots=True)
class Sized:
    product_key: tuple[str, str]
    """(dataset, product id): files of one product stay together."""
    size: int


T = TypeVar("T", bound=Sized)


def split(files: Sequence[T], *, max_bytes: int, max_files: int = MAX_FILES_PER_SUBORDER) -> list[list[T]]:
    """Sub-orders of `files` (already in product order), each closed once a product takes it to the
    file or byte limit; the rest makes the last one."""
    buckets: list[list[T]] = []
    current: list[T] = []
    current_bytes = 0
    for _product, group in groupby(files, key=lambda item: item.product_key):
        product_files = list(group)
        current.extend(product_files)
        current_bytes += sum(item.size for item in product_files)
        if len(current) >= max_files or current_bytes >= max_bytes:
            buckets.append(current)
            current, current_bytes = [], 0
    if current:
        buckets.append(current)
    return buckets
