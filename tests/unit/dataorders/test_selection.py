"""Selections: the product-id query grammar, RE2 file-name patterns and the basket's caps."""

from __future__ import annotations

import uuid

import pytest

from orderdesk.core.errors import InvalidInput
from orderdesk.dataorders.models import BasketSelection, Selection
from orderdesk.dataorders.rules.selection import (
    MAX_BASKET_SELECTIONS,
    MAX_PATTERN_LENGTH,
    MAX_PRODUCT_IDS,
    check_room,
    checked_pattern,
    filename_matcher,
    matches_filename,
    product_ids_of_queries,
    product_ids_of_query,
    selection_of,
)


def kept(product_ids: tuple[str, ...] | None) -> BasketSelection:
    return BasketSelection(uuid.uuid4(), Selection("ds", product_ids, None))


def test_product_ids_of_query__one_id() -> None:
    assert product_ids_of_query("productId:A1") == ("A1",)


def test_product_ids_of_query__ids_joined_by_or__in_order_quotes_removed() -> None:
    assert product_ids_of_query('productId:(a OR "b c" OR d)') == ("a", "b c", "d")


def test_product_ids_of_query__white_space_around__accepted() -> None:
    assert product_ids_of_query("  productId : ( a  OR  b )  ") == ("a", "b")


@pytest.mark.parametrize(
    "query", ["A1", "productId:", "productId:(a b)", "productId:(a OR)", "name:a", "productId:a OR b"]
)
def test_product_ids_of_query__not_the_grammar__invalid_naming_query(query: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        product_ids_of_query(query)
    assert list(refused.value.errors) == ["query"]


def test_product_ids_of_queries__duplicates__each_id_once_in_first_order() -> None:
    assert product_ids_of_queries(["productId:(b OR a)", "productId:b", "productId:c"]) == ["b", "a", "c"]


def test_product_ids_of_queries__bad_queries__each_named_by_its_index() -> None:
    with pytest.raises(InvalidInput) as refused:
        product_ids_of_queries(["productId:a", "bad", "productId:b", "worse"])
    assert list(refused.value.errors) == ["queries[1]", "queries[3]"]


@pytest.mark.parametrize("pattern", [None, ""])
def test_checked_pattern__none_or_empty__no_pattern(pattern: str | None) -> None:
    assert checked_pattern(pattern) is None


def test_checked_pattern__re2_syntax__kept() -> None:
    assert checked_pattern(r".*\.nc") == r".*\.nc"


@pytest.mark.parametrize("pattern", [r"(a)\1", r"(?=a)a", "(unclosed"])
def test_checked_pattern__not_re2__invalid_naming_filename_regexp(pattern: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        checked_pattern(pattern)
    assert list(refused.value.errors) == ["filenameRegExp"]
    assert "RE2" in refused.value.errors["filenameRegExp"][0]


def test_checked_pattern__too_long__invalid() -> None:
    with pytest.raises(InvalidInput) as refused:
        checked_pattern("a" * (MAX_PATTERN_LENGTH + 1))
    assert refused.value.errors == {"filenameRegExp": [f"At most {MAX_PATTERN_LENGTH} characters."]}


def test_filename_matcher__the_whole_name_must_match() -> None:
    matches = filename_matcher(r"a.*\.txt")
    assert matches("abc.txt")
    assert not matches("abc.txt.gz")
    assert not matches("xabc.txt")


def test_filename_matcher__catastrophic_pattern_on_a_long_name__answers() -> None:
    assert not filename_matcher(r"(\w+)+\.txt")("a" * 10_000 + "!")


def test_matches_filename__no_pattern__every_file() -> None:
    assert matches_filename(Selection("ds", None, None), "anything.bin")
    assert not matches_filename(Selection("ds", None, r".*\.txt"), "anything.bin")


def test_selection_of__query__its_ids_once() -> None:
    selection = selection_of("ds", None, "productId:(b OR a OR b)", r".*\.nc")
    assert selection == Selection("ds", ("b", "a"), r".*\.nc")


def test_selection_of__product_ids_and_query__invalid_naming_query() -> None:
    with pytest.raises(InvalidInput) as refused:
        selection_of("ds", ["a"], "productId:a", None)
    assert list(refused.value.errors) == ["query"]


def test_selection_of__neither__the_whole_dataset() -> None:
    assert selection_of("ds", None, None, "") == Selection("ds", None, None)


def test_check_room__basket_full__invalid_naming_selections() -> None:
    with pytest.raises(InvalidInput) as refused:
        check_room([kept(None)] * MAX_BASKET_SELECTIONS, Selection("ds", None, None), "productIds")
    assert list(refused.value.errors) == ["selections"]


def test_check_room__too_many_product_ids_in_all__invalid_naming_the_field() -> None:
    held = kept(tuple(str(number) for number in range(MAX_PRODUCT_IDS - 1)))
    with pytest.raises(InvalidInput) as refused:
        check_room([held], Selection("ds", ("x", "y"), None), "query")
    assert list(refused.value.errors) == ["query"]
    assert f"it holds {MAX_PRODUCT_IDS - 1}" in refused.value.errors["query"][0]


def test_check_room__exactly_at_the_cap__accepted() -> None:
    held = kept(tuple(str(number) for number in range(MAX_PRODUCT_IDS - 1)))
    check_room([held, kept(None)], Selection("ds", ("x",), None), "productIds")
