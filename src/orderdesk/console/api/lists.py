"""The keyset-paged lists of the console's pages: one page read (PAGE_SIZE rows and one more, which
only tells that a next page exists), and the links of its pager, which keep the list's filters."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.console import paging
from orderdesk.console.api.deps import PREFIX
from orderdesk.core.db import Database

T = TypeVar("T")


async def read_page(
    database: Database,
    read: Callable[[AsyncConnection, int], Awaitable[list[T]]],
    key: Callable[[T], paging.Key],
) -> paging.Page[T]:
    """The page `read(connection, limit)` returns, in one statement outside a transaction; `key` is
    the sort key of a row, which the next page's cursor names."""
    size = paging.PAGE_SIZE
    async with database.read() as connection:
        found = await read(connection, size + 1)
    return paging.paged(found, size, key)


def link(path: str, **query: str | None) -> str:
    """The console URL of `path` with the non-empty `query` parameters."""
    given = {key: value for key, value in query.items() if value}
    return f"{PREFIX}{path}" + (f"?{urlencode(given)}" if given else "")


@dataclass(frozen=True, slots=True)
class PageLinks:
    """Where a list's pager leads: its first page (None on it) and the next (None on the last)."""

    first: str | None
    next: str | None


def page_links(listed: paging.Page[T], cursor: str | None, path: str, **query: str | None) -> PageLinks:
    """The pager of `listed`, a page of the list at `path` with the filters `query`."""
    return PageLinks(
        first=link(path, **query) if cursor else None,
        next=None if listed.next_cursor is None else link(path, **query, cursor=listed.next_cursor),
    )
