"""Driving the operator console through HTTP: an operator added as `orderdesk operators add` does,
signed in, with their own password chosen; the CSRF token of a page's form."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

import httpx
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.console import service
from orderdesk.console.models import NewPassword, Role
from orderdesk.core.db import Database

T = TypeVar("T")
NEW_PASSWORD = "correct horse battery"


async def in_transaction(database: Database, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
    async with database.transaction() as connection:
        return await work(connection)


async def add_operator(
    database: Database, clock: Callable[[], datetime], email: str, role: Role = Role.VIEWER
) -> NewPassword:
    """As `orderdesk operators add` does (the CLI's own tests run it as a command)."""
    return await in_transaction(database, lambda c: service.add_operator(c, email, role, clock()))


def csrf_of(page: httpx.Response) -> str:
    """The CSRF token of the (first) form on `page`."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, page.text
    return match.group(1)


async def post_form(
    http: httpx.AsyncClient, page_url: str, action_url: str, fields: dict[str, str] | None = None
) -> httpx.Response:
    """Post `fields` to `action_url` with the CSRF token of the page at `page_url`, as the browser
    does with a form of that page."""
    form_page = await http.get(page_url)
    return await http.post(action_url, data={**(fields or {}), "csrf_token": csrf_of(form_page)})


async def sign_in(http: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    form = await http.get("/console/sign-in")
    return await http.post(
        "/console/sign-in", data={"email": email, "password": password, "csrf_token": csrf_of(form)}
    )


async def choose(http: httpx.AsyncClient, password: str, repeated: str | None = None) -> httpx.Response:
    form = await http.get("/console/password")
    fields = {"password": password, "repeated": repeated or password, "csrf_token": csrf_of(form)}
    return await http.post("/console/password", data=fields)


async def signed_in(
    http: httpx.AsyncClient, database: Database, clock: Callable[[], datetime], email: str, role: Role
) -> None:
    """`http` signed in as a new operator with `role` who has chosen NEW_PASSWORD."""
    added = await add_operator(database, clock, email, role)
    await sign_in(http, email, added.one_time_password)
    await choose(http, NEW_PASSWORD)
