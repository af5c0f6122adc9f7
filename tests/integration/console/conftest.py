"""Fixtures of the console's tests: the test's client signed in to the console as a viewer or as an
admin (it still calls the APIs with their tokens)."""

from __future__ import annotations

import httpx
import pytest

from orderdesk.console.models import Role
from orderdesk.core.db import Database
from tests.conftest import Clock
from tests.support.console import signed_in


@pytest.fixture
async def viewer(client: httpx.AsyncClient, database: Database, clock: Clock) -> None:
    await signed_in(client, database, clock, "viewer@example.org", Role.VIEWER)


@pytest.fixture
async def admin(client: httpx.AsyncClient, database: Database, clock: Clock) -> None:
    await signed_in(client, database, clock, "admin@example.org", Role.ADMIN)
