"""Driving the operator console in headless Chromium (Debian's `chromium`, launched by Playwright
through `executable_path`: a browser download is impossible here) against a real `orderdesk serve`.

Tests that need Chromium skip when /usr/bin/chromium is missing, and fail instead when
ORDERDESK_TEST_REQUIRE_BROWSER=1 (`.ci/run` installs it). ORDERDESK_CONSOLE_SCREENSHOTS=DIR saves
full-page screenshots of the main pages there (`screenshot`): the README's, in docs/console.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, Page, ViewportSize

from orderdesk.console.models import Role
from orderdesk.core.db import Database
from tests.conftest import Tokens
from tests.support.console import NEW_PASSWORD
from tests.support.processes import run_orderdesk

CHROMIUM = Path("/usr/bin/chromium")
REQUIRE_BROWSER = os.environ.get("ORDERDESK_TEST_REQUIRE_BROWSER") == "1"
SCREENSHOTS = os.environ.get("ORDERDESK_CONSOLE_SCREENSHOTS", "")
ROOT = Path(__file__).resolve().parents[2]
VIEWPORT: ViewportSize = {"width": 1280, "height": 800}
WAIT_MS = 30_000
"""How long a page may take to show what a test waits for. A sign-in checks an Argon2 hash (64 MiB,
slow on purpose) in a server that shares the machine with the rest of the suite: waits are for what
the page shows, bounded generously, never for a time."""

ContextMaker = Callable[[], Awaitable[BrowserContext]]
SignInAs = Callable[[Role], Awaitable[Page]]


def chromium_executable() -> Path:
    """Debian's Chromium; skips the test (fails it when the browser is required) if it is missing."""
    if CHROMIUM.exists():
        return CHROMIUM
    reason = f"{CHROMIUM} is not installed (apt-get install chromium)"
    if REQUIRE_BROWSER:
        pytest.fail(f"ORDERDESK_TEST_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


def client_address(number: int) -> str:
    """The `number`th of the addresses browser contexts send as `X-Forwarded-For`."""
    return f"10.0.{number // 256 % 256}.{number % 256}"


@dataclass
class ServedConsole:
    """A real `orderdesk serve` on a home of its own, and what an operator does beside it."""

    base_url: str
    home: Path
    env: dict[str, str]
    backend: str
    database: Database
    """The served app's database, for a scenario to prepare what no page makes."""
    _operators: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def orderdesk(self, *args: str) -> str:
        """`orderdesk ARGS` on the server's home and database; its output (it must succeed)."""
        result = run_orderdesk(self.home, *args, env=self.env)
        assert result.returncode == 0, result.stderr
        return result.stdout

    def new_email(self, name: str) -> str:
        """An operator's address no other scenario of the module uses."""
        return f"{name}{next(self._operators)}@example.org"

    def run_operators_add(self, role: Role, name: str = "operator") -> dict[str, str]:
        """`orderdesk operators add` run as a command: what it prints (one-time password, console URL)."""
        email = self.new_email(name)
        added: dict[str, str] = json.loads(self.orderdesk("operators", "add", email, "--role", role.value))
        return added

    def api_headers(self, org: str = "ttd") -> dict[str, str]:
        """A service owner's bearer token for the served API, as `orderdesk token --org ORG` prints it."""
        return Tokens(self.home).bearer(org)


async def sign_in(page: Page, email: str, password: str) -> None:
    """Fill in and send the sign-in form the page shows."""
    await page.get_by_label("E-mail address").fill(email)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()


async def choose_password(page: Page, password: str = NEW_PASSWORD) -> None:
    """Fill in and send the form that asks a newly signed-in operator for their own password."""
    await page.get_by_label("New password (at least").fill(password)
    await page.get_by_label("New password again").fill(password)
    await page.get_by_role("button", name="Save the password").click()


async def screenshot(page: Page, console: ServedConsole, name: str) -> None:
    """A full-page screenshot of `page` as DIR/NAME.png when ORDERDESK_CONSOLE_SCREENSHOTS=DIR asks for
    them (DIR relative to the project), from the SQLite run only: one picture per page."""
    if not SCREENSHOTS or console.backend != "sqlite":
        return
    folder = ROOT / SCREENSHOTS
    folder.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=folder / f"{name}.png", full_page=True)
