"""Names of downloaded things: unique names in an archive or metalink, without control characters."""

from __future__ import annotations

from datetime import UTC, datetime

from orderdesk.dataorders.rules.names import metalink_filename, unique_name, zip_filename


def test_unique_name__free__as_is() -> None:
    assert unique_name("a.txt", {"b.txt"}) == "a.txt"


def test_unique_name__taken__numbered_before_the_extension() -> None:
    assert unique_name("a.txt", {"a.txt", "a (2).txt"}) == "a (3).txt"


def test_unique_name__no_extension__numbered_at_the_end() -> None:
    assert unique_name("README", {"README"}) == "README (2)"


def test_unique_name__control_characters__replaced_by_underscores() -> None:
    assert unique_name("bad\r\nname\t.txt", set()) == "bad__name_.txt"


def test_zip_and_metalink_filenames__order_and_time() -> None:
    now = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    assert zip_filename(7, now) == "order_7_2026-01-02T03_04_05.678000Z.zip"
    assert metalink_filename(7, now) == "order_7_2026-01-02T03_04_05Z.metalink"
