"""The deliveries list's cursor: every attempt id a page can end on comes back as itself, and any other
text is refused naming `cursor`, before it can reach a database."""

from __future__ import annotations

import re

import pytest

from orderdesk.core.errors import InvalidInput
from orderdesk.webhooks.rules import CURSOR_PATTERN, attempt_id_of_cursor, deliveries_cursor


@pytest.mark.parametrize("attempt_id", [1, 9, 10, 255, 4096, 2**31, 2**60 - 1])
def test_cursor__of_an_attempt_id__names_that_id_and_matches_the_documented_pattern(attempt_id: int) -> None:
    cursor = deliveries_cursor(attempt_id)

    assert attempt_id_of_cursor(cursor) == attempt_id
    assert re.fullmatch(CURSOR_PATTERN, cursor)


@pytest.mark.parametrize("cursor", ["", "g", "-1", "1f\x00", "0x1f", " 1f", "1F", "1" * 16, "é"])
def test_cursor__anything_else__invalid_input_naming_the_cursor(cursor: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        attempt_id_of_cursor(cursor)

    assert list(refused.value.errors) == ["cursor"]
    assert re.fullmatch(CURSOR_PATTERN, cursor) is None
