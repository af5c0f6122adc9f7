"""Sub-order sizing: by product, closed at the file or byte limit after the product that reaches it."""

from __future__ import annotations

from orderdesk.dataorders.rules.buckets import Sized, split


def files(*products: tuple[str, list[int]]) -> list[Sized]:
    return [Sized(("ds", name), size) for name, sizes in products for size in sizes]


def shape(buckets: list[list[Sized]]) -> list[list[str]]:
    return [[item.product_key[1] for item in bucket] for bucket in buckets]


def test_split__under_the_limits__one_suborder() -> None:
    assert shape(split(files(("a", [10, 10]), ("b", [10])), max_bytes=100)) == [["a", "a", "b"]]


def test_split__byte_limit__closed_after_the_product_that_reaches_it() -> None:
    buckets = split(files(("a", [40]), ("b", [40, 40]), ("c", [10])), max_bytes=100)
    assert shape(buckets) == [["a", "b", "b"], ["c"]]


def test_split__file_limit__closed_at_that_many_files() -> None:
    buckets = split(files(("a", [1] * 3), ("b", [1] * 3), ("c", [1])), max_bytes=10**9, max_files=3)
    assert shape(buckets) == [["a"] * 3, ["b"] * 3, ["c"]]


def test_split__one_product_larger_than_the_limit__kept_whole() -> None:
    assert shape(split(files(("big", [300, 300])), max_bytes=100)) == [["big", "big"]]


def test_split__nothing__no_suborder() -> None:
    assert split([], max_bytes=100) == []
