"""What the console's tests read back: the audit trail's rows (from the database: its own page is
another's work), and a list page's links to its orders and to its next page."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import select

from orderdesk.console.tables import console_audit
from orderdesk.core.db import Database


async def audit_rows(database: Database) -> list[tuple[str, str, str, str]]:
    """(operator, action, target kind, target id) of every entry, oldest first."""
    audit = console_audit.c
    async with database.transaction() as connection:
        rows = await connection.execute(
            select(audit.operator_email, audit.action, audit.target_kind, audit.target_id).order_by(audit.id)
        )
        return [(row[0], row[1], row[2], row[3]) for row in rows]


def next_url(page: httpx.Response) -> str | None:
    """The page's "Next page" link, None on the last page."""
    found = re.search(r'href="([^"]+)" rel="next"', page.text)
    return found.group(1).replace("&amp;", "&") if found else None


def linked_ids(page: httpx.Response, path: str) -> list[str]:
    """The ids of the `path/{id}` links on the page, in page order."""
    return re.findall(rf'href="{re.escape(path)}/([\w-]+)"', page.text)


async def pages(client: httpx.AsyncClient, url: str) -> list[httpx.Response]:
    """The list at `url` and each page after it, following the "Next page" links."""
    seen: list[httpx.Response] = []
    next_page: str | None = url
    while next_page is not None:
        answer = await client.get(next_page)
        assert answer.status_code == 200, answer.text
        seen.append(answer)
        next_page = next_url(answer)
    return seen


async def every_page(client: httpx.AsyncClient, url: str, path: str) -> list[str]:
    """The ids linked under `path` on the list at `url` and each page after it."""
    return [found for answer in await pages(client, url) for found in linked_ids(answer, path)]


def assert_refused_page(answer: httpx.Response, status: int, words: str) -> None:
    """The answer is a console page (not an API problem body) with `status`, saying `words`."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("text/html")
    assert words in answer.text
