"""Catalogue rules: products from storage keys, MIME types, refused names, what a re-import changes."""

from __future__ import annotations

import pytest

from orderdesk.core.errors import InvalidInput
from orderdesk.dataorders.models import CataloguedKey
from orderdesk.dataorders.rules.catalogue import (
    DEFAULT_MIME_TYPE,
    MAX_DATASET_NAME,
    CatalogEntry,
    check_file_names,
    dataset_name,
    import_changes,
    mime_type_of,
    product_of,
)


def entry(key: str, size: int = 1, md5: str = "m") -> CatalogEntry:
    return CatalogEntry(product_of(key), key.rsplit("/", 1)[-1], key, size, mime_type_of(key), md5)


def test_product_of__sub_folder__its_name() -> None:
    assert product_of("S2A_123/granule/band.tif") == "S2A_123"


def test_product_of__file_at_the_top__its_own_name() -> None:
    assert product_of("top.dat") == "top.dat"


def test_mime_type_of__known_and_unknown_extensions() -> None:
    assert mime_type_of("a.txt") == "text/plain"
    assert mime_type_of("a.unknown-extension") == DEFAULT_MIME_TYPE


def test_dataset_name__trimmed() -> None:
    assert dataset_name("  ds1 ") == "ds1"


@pytest.mark.parametrize("name", ["", "   ", "a\nb", "x" * (MAX_DATASET_NAME + 1)])
def test_dataset_name__empty_too_long_or_control_character__invalid(name: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        dataset_name(name)
    assert list(refused.value.errors) == ["--dataset"]


def test_check_file_names__control_characters_or_not_utf8__each_named() -> None:
    with pytest.raises(InvalidInput) as refused:
        check_file_names([entry("A/ok.txt"), entry("A/bad\r\n.txt"), entry("A/\udcff.txt")])
    assert list(refused.value.errors) == [ascii("A/bad\r\n.txt"), ascii("A/\udcff.txt")]


def test_check_file_names__good_names__pass() -> None:
    check_file_names([entry("A/blåbær ø.txt"), entry("top.dat")])


def test_import_changes__first_import__everything_added() -> None:
    changes = import_changes({}, [entry("A/1"), entry("A/2")])
    assert (len(changes.changed), changes.added, changes.gone) == (2, 2, [])


def test_import_changes__same_folder_again__nothing_changes() -> None:
    known = {"A/1": CataloguedKey(1, "m", False)}
    changes = import_changes(known, [entry("A/1")])
    assert (changes.changed, changes.added, changes.gone) == ([], 0, [])


def test_import_changes__changed_back_and_gone_files() -> None:
    known = {
        "A/1": CataloguedKey(1, "old", False),  # content changed
        "A/2": CataloguedKey(1, "m", True),  # removed, back now
        "A/3": CataloguedKey(1, "m", False),  # gone from the folder
        "A/4": CataloguedKey(1, "m", True),  # removed before, still gone
    }
    changes = import_changes(known, [entry("A/1"), entry("A/2"), entry("B/new")])
    assert [item.storage_key for item in changes.changed] == ["A/1", "A/2", "B/new"]
    assert changes.added == 1
    assert changes.gone == ["A/3"]
