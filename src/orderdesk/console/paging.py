"""Keyset paging for the console's lists: a page ends with an opaque cursor naming its last row's
sort key, and the next page starts after that key (an index range read, never an OFFSET scan that
reads every row before the page)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar

from orderdesk.core.errors import InvalidInput
from orderdesk.core.text import is_storable

T = TypeVar("T")
Key = tuple[datetime | int | str, ...]

PAGE_SIZE = 50
MAX_CURSOR_LENGTH = 400
MAX_KEY_INTEGER = 2**63 - 1
"""The largest integer a key column holds (PostgreSQL's bigint, SQLite's INTEGER)."""


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list; `next_cursor` is None on the last page."""

    items: list[T]
    next_cursor: str | None


def encode_cursor(key: Key) -> str:
    """The key as URL-safe text: datetimes in ISO form, tagged, so they come back as datetimes."""
    parts = [{"t": value.isoformat()} if isinstance(value, datetime) else value for value in key]
    return base64.urlsafe_b64encode(json.dumps(parts, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(text: str | None, shape: Sequence[type]) -> Key | None:
    """The key of a cursor made by `encode_cursor`, checked against the types `shape` lists; None
    without a cursor. InvalidInput (`cursor`) for anything else a client may send."""
    if not text:
        return None
    try:
        if len(text) > MAX_CURSOR_LENGTH:
            raise ValueError(text)
        parts = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        if not isinstance(parts, list) or len(parts) != len(shape):
            raise ValueError(text)
        return tuple(_value(part, kind) for part, kind in zip(parts, shape, strict=True))
    except (ValueError, OverflowError, binascii.Error, UnicodeDecodeError) as error:
        raise InvalidInput({"cursor": ["The cursor is not one this console made."]}) from error


def _value(part: object, kind: type) -> datetime | int | str:
    """The part as `kind`, and one the databases can compare with their own values: a crafted cursor
    may hold a time that overflows once in UTC, an integer past any column's or a NUL, which the
    drivers refuse with an error of their own (a 500) rather than no row."""
    if kind is datetime and isinstance(part, dict) and isinstance(part.get("t"), str):
        moment = datetime.fromisoformat(part["t"])
        if moment.tzinfo is None:
            raise ValueError(part)
        return moment.astimezone(UTC)  # OverflowError for a time past the first or last day
    if kind is int and isinstance(part, int) and not isinstance(part, bool) and abs(part) <= MAX_KEY_INTEGER:
        return part
    if kind is str and isinstance(part, str) and is_storable(part):
        return part
    raise ValueError(part)


def paged(rows: Sequence[T], size: int, key: Callable[[T], Key]) -> Page[T]:
    """A page from `rows` read with LIMIT size + 1: the extra row only says there is a next page."""
    items = list(rows[:size])
    more = len(rows) > size
    return Page(items, encode_cursor(key(items[-1])) if more and items else None)
