"""A console page's query parameters: free text, a choice among a StrEnum's values, a time, a cursor,
and the link to the next page. A value that is none of these is InvalidInput naming its parameter, which
the page answers with 400 (`guard.bad_request`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import TypeVar
from urllib.parse import urlencode
from uuid import UUID

from orderdesk.console.api.deps import PREFIX
from orderdesk.console.paging import Key, decode_cursor
from orderdesk.core.errors import InvalidInput
from orderdesk.core.text import has_control_characters

E = TypeVar("E", bound=StrEnum)
T = TypeVar("T")


def text(name: str, value: str | None, max_length: int) -> str | None:
    """The value trimmed; None when absent or blank (a form's empty field asks for nothing). Longer than
    `max_length`, or holding a control character (PostgreSQL stores no NUL), is InvalidInput."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if len(value) > max_length or has_control_characters(value):
        raise InvalidInput({name: [f"At most {max_length} characters, none of them a control character."]})
    return value


def choice(name: str, value: str | None, choices: type[E]) -> E | None:
    """One of the values of `choices`; None when absent or blank."""
    if value is None or not value.strip():
        return None
    try:
        return choices(value.strip())
    except ValueError:
        allowed = ", ".join(member.value for member in choices)
        raise InvalidInput({name: [f"One of: {allowed}."]}) from None


def moment(name: str, value: str | None) -> datetime | None:
    """An ISO 8601 date or time (`2026-12-07`, `2026-12-07T10:30`, with or without a zone: without one
    it is UTC, as the page says); None when absent or blank."""
    given = text(name, value, 64)
    if given is None:
        return None
    try:
        parsed = datetime.fromisoformat(given)
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        raise InvalidInput(
            {name: ["An ISO 8601 date or time is required, such as 2026-12-07T10:30 (UTC)."]}
        ) from None


def cursor_key(value: str | None, shape: Sequence[type], convert: Callable[[Key], T]) -> T | None:
    """The key of a cursor `paging.encode_cursor` made, of types `shape`, as `convert` reads it (a
    ValueError there, such as an id that is no UUID, makes it a bad cursor too); None without one."""
    key = decode_cursor(value, shape)
    if key is None:
        return None
    try:
        return convert(key)
    except ValueError:
        raise InvalidInput({"cursor": ["The cursor is not one this console made."]}) from None


def uuid_of(part: object) -> UUID:
    """A cursor's id part; ValueError unless it is a UUID's text."""
    return UUID(str(part))


@dataclass(frozen=True, slots=True)
class Pager:
    """The links from one page of a list: to its first page (None on it) and to the next (None on the
    last), each with the list's filters."""

    first: str | None
    next: str | None


def pager(
    path: str, filters: Mapping[str, str | None], *, cursor: str | None, next_cursor: str | None
) -> Pager:
    """The links from the page read after `cursor` (None: the first page) of the list at `path`."""
    given = {name: value for name, value in filters.items() if value}

    def link(params: Mapping[str, str]) -> str:
        return f"{PREFIX}{path}?{urlencode(params)}" if params else f"{PREFIX}{path}"

    return Pager(
        first=None if cursor is None else link(given),
        next=None if next_cursor is None else link({**given, "cursor": next_cursor}),
    )
