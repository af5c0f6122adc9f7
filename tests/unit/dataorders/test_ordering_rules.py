"""Placing rules: files split by product into sub-orders, the order's lifetime, unique labels."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from orderdesk.dataorders.models import CatalogueFile
from orderdesk.dataorders.rules.ordering import (
    APPLIED_SUBORDER_HOURS,
    MAX_LABEL,
    USER_SUBORDER_HOURS,
    default_label,
    label_base,
    label_prefix,
    lifetime,
    suborders_of,
    unique_label,
)


def catalogued(dataset: str, product: str, key: str, size: int) -> CatalogueFile:
    filename = key.rsplit("/", 1)[-1]
    return CatalogueFile(uuid.uuid4(), dataset, product, filename, key, size, "text/plain", "0" * 32)


def keys(suborders: list[list[CatalogueFile]]) -> list[list[str]]:
    return [[file.storage_key for file in suborder] for suborder in suborders]


def test_suborders_of__in_product_order_whatever_the_given_order() -> None:
    files = [
        catalogued("ds", "B", "B/2", 1),
        catalogued("ds", "A", "A/2", 1),
        catalogued("ds", "B", "B/1", 1),
        catalogued("ds", "A", "A/1", 1),
    ]
    assert keys(suborders_of(files, bucket_bytes=100)) == [["A/1", "A/2", "B/1", "B/2"]]


def test_suborders_of__same_product_in_two_datasets__two_products() -> None:
    files = [catalogued("y", "P", "P/1", 60), catalogued("x", "P", "P/1", 60)]
    assert [[file.dataset for file in suborder] for suborder in suborders_of(files, bucket_bytes=50)] == [
        ["x"],
        ["y"],
    ]


def test_suborders_of__closed_after_the_product_reaching_the_size() -> None:
    files = [
        catalogued("ds", "A", "A/1", 40),
        catalogued("ds", "B", "B/1", 70),
        catalogued("ds", "C", "C/1", 5),
    ]
    assert keys(suborders_of(files, bucket_bytes=100)) == [["A/1", "B/1"], ["C/1"]]


def test_lifetime__suborders_plus_two_times_the_duration() -> None:
    assert lifetime(3, APPLIED_SUBORDER_HOURS) == timedelta(hours=10)


def test_lifetime__never_more_than_a_week() -> None:
    assert lifetime(1, USER_SUBORDER_HOURS) == timedelta(hours=168)


def test_lifetime__no_suborder__one_duration() -> None:
    assert lifetime(0, APPLIED_SUBORDER_HOURS) == timedelta(hours=2)


def test_default_label__dated() -> None:
    assert default_label(datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)) == "Order of 2026/03/04 at 05:06:07"


def test_label_base__trimmed_and_cut_to_the_maximum() -> None:
    assert label_base("  mine  ") == "mine"
    assert label_base("x" * 80) == "x" * MAX_LABEL


def test_unique_label__free__as_asked() -> None:
    assert unique_label("mine", {"mine (2)", "other"}) == "mine"


def test_unique_label__taken__first_free_number() -> None:
    assert unique_label("mine", {"mine", "mine (2)", "mine (4)"}) == "mine (3)"


def test_unique_label__long_label__shortened_to_fit_the_number() -> None:
    base = label_base("y" * MAX_LABEL)
    label = unique_label(base, {base})
    assert label == "y" * (MAX_LABEL - 4) + " (2)"
    assert len(label) == MAX_LABEL
    assert label.startswith(label_prefix(base))
