"""The console's keyset cursors: what a page hands out comes back as the same key; anything else a
client sends is refused as a bad cursor, never a server error."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from orderdesk.console.paging import decode_cursor, encode_cursor, paged
from orderdesk.core.errors import InvalidInput

SHAPE = (datetime, int)


def test_cursor__round_trip() -> None:
    key = (datetime(2026, 12, 7, 1, 2, 3, 456789, tzinfo=UTC), 42)
    assert decode_cursor(encode_cursor(key), SHAPE) == key


@pytest.mark.parametrize(
    "text",
    ["@@@", "bm90IGpzb24", encode_cursor((1, 2)), encode_cursor(("x",)), "A" * 401, encode_cursor((True, 1))],
)
def test_cursor__anything_else__invalid_input(text: str) -> None:
    with pytest.raises(InvalidInput):
        decode_cursor(text, SHAPE)


def test_paged__extra_row_gives_the_next_cursor() -> None:
    page = paged([(datetime(2026, 1, 1, tzinfo=UTC), n) for n in range(3)], 2, lambda row: row)
    assert len(page.items) == 2
    assert decode_cursor(page.next_cursor, SHAPE) == page.items[-1]
    assert paged([1], 2, lambda row: (row,)).next_cursor is None
