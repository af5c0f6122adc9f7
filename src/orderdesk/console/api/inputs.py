"""What the console's list and order pages accept in their query strings and paths: each value a
client sends is checked here, and one that is wrong is an InvalidInput naming its field (a 400 page,
see refusals.py), never an error further in."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import TypeVar

from orderdesk.console.paging import decode_cursor
from orderdesk.core.errors import InvalidInput
from orderdesk.core.text import has_control_characters

E = TypeVar("E", bound=StrEnum)
T = TypeVar("T")

MAX_ID = 2**31 - 1
"""Order numbers are 32-bit integers in the database: a larger number names no order."""


def choice(value: str | None, allowed: Sequence[E], field: str) -> E | None:
    """The member of `allowed` whose value is `value`; None for an empty value (no filter)."""
    if not value:
        return None
    for member in allowed:
        if member.value == value:
            return member
    names = ", ".join(member.value for member in allowed)
    raise InvalidInput({field: [f"Unknown {field} {value[:40]!r}: one of {names}."]})


def text_filter(value: str | None, field: str, max_length: int) -> str | None:
    """The value trimmed, None when empty; InvalidInput when longer than any stored value can be, or
    holding a control character (no stored value does, and PostgreSQL refuses a NUL outright)."""
    trimmed = (value or "").strip()
    if len(trimmed) > max_length:
        raise InvalidInput({field: [f"At most {max_length} characters."]})
    if has_control_characters(trimmed):
        raise InvalidInput({field: ["No control characters."]})
    return trimmed or None


def moment(value: str | None, field: str) -> datetime | None:
    """An ISO 8601 date or time (`2026-12-07`, `2026-12-07T10:30`, `…Z`, `…+01:00`), in UTC when it has
    no zone (as a form's datetime-local field sends it); None when empty."""
    given = text_filter(value, field, 64)
    if given is None:
        return None
    try:
        parsed = datetime.fromisoformat(given)
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        raise InvalidInput({field: ["An ISO 8601 date or time, such as 2026-12-07T10:30 (UTC)."]}) from None


def order_number(value: str) -> int | None:
    """The number of an order named in a path; None when it cannot name one (the page is a 404)."""
    if not value.isascii() or not value.isdigit() or len(value) > 10 or int(value) > MAX_ID:
        return None
    return int(value)


def number_key(cursor: str | None) -> int | None:
    """The number a cursor names (the last order of a page), None without a cursor."""
    key = decode_cursor(cursor, (int,))
    if key is None:
        return None
    number = key[0]
    assert isinstance(number, int)  # decode_cursor checked the shape
    if not 0 < number <= MAX_ID:  # no order has that number: the database would refuse to compare it
        raise InvalidInput({"cursor": ["The cursor is not one this console made."]})
    return number


def time_id_key(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    """The (time, id) a cursor names, None without a cursor."""
    key = decode_cursor(cursor, (datetime, str))
    if key is None:
        return None
    moment, text = key
    assert isinstance(moment, datetime)  # decode_cursor checked the shape
    return moment, in_cursor(uuid.UUID, str(text))


def time_text_id_key(cursor: str | None) -> tuple[datetime, str, uuid.UUID] | None:
    """The (time, text, id) a cursor names, None without a cursor."""
    key = decode_cursor(cursor, (datetime, str, str))
    if key is None:
        return None
    moment, text, identifier = key
    assert isinstance(moment, datetime)  # decode_cursor checked the shape
    return moment, str(text), in_cursor(uuid.UUID, str(identifier))


def text_id_key(cursor: str | None) -> tuple[str, uuid.UUID] | None:
    """The (text, id) a cursor names, None without a cursor."""
    key = decode_cursor(cursor, (str, str))
    return None if key is None else (str(key[0]), in_cursor(uuid.UUID, str(key[1])))


def in_cursor(read: Callable[[str], T], value: str) -> T:
    """A part of a cursor read by `read` (a UUID, a StrEnum); InvalidInput (`cursor`) when it fails."""
    try:
        return read(value)
    except ValueError as error:
        raise InvalidInput({"cursor": ["The cursor is not one this console made."]}) from error
