"""Fixtures of the browser tier: the operator console in headless Chromium against a real
`orderdesk serve`, on SQLite and on PostgreSQL (tests/support/browser.py has the helpers).

One served app per module and backend (`console`), shared by the module's scenarios: each signs in
as an operator of its own (`sign_in_as`: added straight into the served database, as `orderdesk
operators add` does, without the cost of a process) in a browser context of its own, which comes from
a client address of its own (`X-Forwarded-For`, which the server believes from loopback), so one
scenario's failed sign-ins never throttle another's. `api` calls the same server with the service
owner ttd's token, minted with the home's key as `orderdesk token` does, to place orders for a
scenario to find.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect

from orderdesk.console.models import Role
from orderdesk.core.db import Database
from tests.conftest import BACKENDS, POSTGRES_URL
from tests.support.browser import (
    VIEWPORT,
    WAIT_MS,
    ContextMaker,
    ServedConsole,
    SignInAs,
    choose_password,
    chromium_executable,
    client_address,
    sign_in,
)
from tests.support.console import add_operator
from tests.support.processes import fresh_postgres_database, serving, wait_until_healthy
from tests.support.workers import free_port

_addresses = itertools.count(1)
expect.set_options(timeout=WAIT_MS)


@pytest.fixture(scope="session")
async def chromium() -> AsyncIterator[Browser]:
    """Headless Chromium, one for the session."""
    executable = chromium_executable()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(executable))
        yield browser
        await browser.close()


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The served app's database (the name the suite's postgres marker looks for)."""
    name: str = request.param
    return name


@pytest.fixture(scope="module")
async def console(backend: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[ServedConsole]:
    home = tmp_path_factory.mktemp("browser") / "home"
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        # The URL `operators add` prints is the one the browser opens.
        "ORDERDESK_PUBLIC_BASE_URL": base_url,
        # Each browser context names its own client address (see new_context).
        "ORDERDESK_SERVER_TRUSTED_PROXIES": "127.0.0.1",
    }
    if backend == "postgres":
        env["ORDERDESK_DATABASE_URL"] = await fresh_postgres_database(POSTGRES_URL, "browser")
    database = Database.from_url(
        env.get("ORDERDESK_DATABASE_URL", f"sqlite+aiosqlite:///{home / 'orderdesk.db'}"), pool_size=2
    )
    try:
        with serving(home, env, port=port) as server:
            await wait_until_healthy(server)
            yield ServedConsole(server.base_url, home, env, backend, database)
    finally:
        await database.dispose()


@pytest.fixture
async def api(console: ServedConsole) -> AsyncIterator[httpx.AsyncClient]:
    """The served app's API with the service owner ttd's bearer token."""
    async with httpx.AsyncClient(base_url=console.base_url, headers=console.api_headers()) as http:
        yield http


@pytest.fixture
async def new_context(chromium: Browser) -> AsyncIterator[ContextMaker]:
    """Makes browser contexts (cookie jars), each from a client address of its own; all closed at the
    end of the test."""
    contexts: list[BrowserContext] = []

    async def make() -> BrowserContext:
        forwarded = {"X-Forwarded-For": client_address(next(_addresses))}
        context = await chromium.new_context(viewport=VIEWPORT, extra_http_headers=forwarded)
        context.set_default_timeout(WAIT_MS)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        await context.close()


@pytest.fixture
def sign_in_as(console: ServedConsole, new_context: ContextMaker) -> SignInAs:
    """Signs a new operator with the role in, in a context of their own, password chosen; their page,
    on the overview."""

    async def sign_in_with(role: Role) -> Page:
        email = console.new_email(role.value)
        added = await add_operator(console.database, lambda: datetime.now(UTC), email, role)
        page = await (await new_context()).new_page()
        await page.goto(f"{console.base_url}/console/")
        await sign_in(page, email, added.one_time_password)
        await choose_password(page)
        await page.wait_for_url(f"{console.base_url}/console/")
        return page

    return sign_in_with
