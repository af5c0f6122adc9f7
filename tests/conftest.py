"""Fixtures shared by all tests: a migrated database per backend, the app, an HTTP client, tokens.

Tests run on SQLite always and on PostgreSQL when ORDERDESK_TEST_POSTGRES_URL is set. With
ORDERDESK_TEST_REQUIRE_POSTGRES=1 (as CI sets it) the session fails unless PostgreSQL tests ran.
Under pytest-xdist (`-n 3`) each worker uses its own database, named with the worker id appended.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from sqlalchemy import text

from orderdesk.app import create_app
from orderdesk.auth.keys import load_or_create_signing_key
from orderdesk.auth.tokens import (
    DELIVERY_REPORTS_WRITE_SCOPE,
    NOTIFICATIONS_CREATE_SCOPE,
    TokenKind,
    mint_client_token,
    mint_org_token,
    mint_platform_access_token,
    mint_user_token,
)
from orderdesk.core.db import Database, metadata
from orderdesk.migrations import runner
from orderdesk.settings import DatabaseSettings, OutboundSettings, Settings
from tests.support.smtp_sink import SmtpSink
from tests.support.workers import is_xdist_controller, worker_postgres_url

POSTGRES_URL = worker_postgres_url(os.environ.get("ORDERDESK_TEST_POSTGRES_URL", ""))
REQUIRE_POSTGRES = os.environ.get("ORDERDESK_TEST_REQUIRE_POSTGRES") == "1"
BACKENDS = ["sqlite", *(["postgres"] if POSTGRES_URL else [])]

TEST_ALLOWED_NETWORKS = "127.0.0.0/8,::1/128"

_postgres_passed = 0


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    # Under xdist the controller receives every worker's reports here too, keywords included.
    global _postgres_passed
    if report.when == "call" and report.passed and "postgres" in report.keywords:
        _postgres_passed += 1


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("backend") == "postgres":
            item.add_marker(pytest.mark.postgres)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # Only the process that sees all reports judges: one xdist worker may have run no PostgreSQL test.
    if REQUIRE_POSTGRES and is_xdist_controller() and exitstatus == 0 and _postgres_passed == 0:
        session.exitstatus = 1
        print("\nORDERDESK_TEST_REQUIRE_POSTGRES=1 but no PostgreSQL test passed.")


@pytest.fixture(scope="session")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("home")


def make_settings(home: Path, database_url: str) -> Settings:
    # The tests' HTTP stubs listen on loopback, which outbound calls refuse unless it is allowed.
    return Settings(
        home=home,
        database=DatabaseSettings(url=database_url, pool_size=5),
        public_base_url="http://testserver",
        outbound=OutboundSettings(allowed_networks=TEST_ALLOWED_NETWORKS),
    )


async def _create_postgres_database(url: str) -> None:
    """Create the test database named in the URL if it does not exist yet."""
    import asyncpg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    connection = await asyncpg.connect(
        host=parsed.host,
        port=parsed.port or 5432,
        user=parsed.username,
        password=parsed.password,
        database="postgres",
    )
    try:
        exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", parsed.database)
        if not exists:
            await connection.execute(f'CREATE DATABASE "{parsed.database}"')
    finally:
        await connection.close()


async def _fresh_postgres(url: str) -> Database:
    await _create_postgres_database(url)
    database = Database.from_url(url, pool_size=10)
    async with database.transaction() as connection:
        await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    return database


@pytest.fixture(scope="session", params=BACKENDS)
async def migrated_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[str, Database]]:
    """One database per backend for the whole session, migrated once."""
    backend: str = request.param
    if backend == "postgres":
        url = POSTGRES_URL
        database = await _fresh_postgres(url)
    else:
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.db'}"
        database = Database.from_url(url)
    await runner.upgrade(database)
    yield url, database
    await database.dispose()


@pytest.fixture
def backend(migrated_database: tuple[str, Database]) -> str:
    return "postgres" if migrated_database[0].startswith("postgresql") else "sqlite"


@pytest.fixture
async def database(migrated_database: tuple[str, Database]) -> AsyncIterator[Database]:
    """The session's database, emptied after each test."""
    _url, db = migrated_database
    yield db
    async with db.transaction() as connection:
        for table in reversed(metadata.sorted_tables):
            await connection.execute(table.delete())


@dataclass
class Clock:
    """A clock tests can move; it follows real time from the moment it was last set, unless stopped."""

    offset: timedelta = field(default_factory=timedelta)
    stopped_at: datetime | None = None

    def __call__(self) -> datetime:
        if self.stopped_at is not None:
            return self.stopped_at
        return datetime.now(UTC) + self.offset

    def advance(self, delta: timedelta) -> None:
        if self.stopped_at is not None:
            self.stopped_at += delta
        self.offset += delta

    def set(self, moment: datetime) -> None:
        if self.stopped_at is not None:
            self.stopped_at = moment
        self.offset = moment - datetime.now(UTC)

    def stop(self) -> None:
        """Time stands still until moved: a burst of calls, however slow, lands in one window."""
        self.stopped_at = self()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def settings(home: Path, migrated_database: tuple[str, Database]) -> Settings:
    return make_settings(home, migrated_database[0])


@pytest.fixture
async def client(settings: Settings, database: Database, clock: Clock) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, clock=clock, database=database)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@dataclass
class Tokens:
    """Mints tokens with the home's local key, as `orderdesk token` does."""

    home: Path
    issuer: str = "orderdesk"

    def key(self) -> PrivateKeyTypes:
        return load_or_create_signing_key(self.home / "signing-key.pem")

    def bearer(
        self, org: str = "ttd", scopes: tuple[str, ...] = (NOTIFICATIONS_CREATE_SCOPE,)
    ) -> dict[str, str]:
        """An organisation's token as `orderdesk token --org ORG --scope …` prints it: a service
        owner's, or a delivery-report sender's when the scopes say so."""
        token = mint_org_token(self.key(), issuer=self.issuer, org=org, scopes=scopes)
        return {"Authorization": f"Bearer {token}"}

    def reporter(self, org: str = "mailprovider") -> dict[str, str]:
        """A delivery-report sender's token (`orderdesk token --org ORG --scope …deliveryreports.write`)."""
        return self.bearer(org, (DELIVERY_REPORTS_WRITE_SCOPE,))

    def user(self, email: str = "ola@example.com", role: str = "REGISTERED_USER") -> dict[str, str]:
        """A data-order user's token (`orderdesk token --user EMAIL`)."""
        token = mint_user_token(self.key(), issuer=self.issuer, email=email, role=role)
        return {"Authorization": f"Bearer {token}"}

    def customer(self, email: str = "ola@example.com", role: str = "REGISTERED_USER") -> dict[str, str]:
        """A purchase customer's token for the user paths of /capi (`orderdesk token --user EMAIL
        --api purchases`)."""
        token = mint_user_token(
            self.key(), issuer=self.issuer, email=email, role=role, kind=TokenKind.PURCHASE_USER
        )
        return {"Authorization": f"Bearer {token}"}

    def client(self, client_id: str, ttl_seconds: int = 43_200) -> dict[str, str]:
        """An access token of the purchase API, as `/oauth/token` issues (a negative ttl: expired)."""
        token = mint_client_token(
            self.key(), issuer=self.issuer, client_id=client_id, ttl_seconds=ttl_seconds
        )
        return {"Authorization": f"Bearer {token}"}

    def platform(self, org: str = "ttd") -> dict[str, str]:
        return {"PlatformAccessToken": mint_platform_access_token(self.key(), org=org)}


@pytest.fixture
async def sink() -> AsyncIterator[SmtpSink]:
    """A real SMTP server in the test's event loop (see tests/support/smtp_sink.py)."""
    server = await SmtpSink().start()
    yield server
    await server.stop()


@pytest.fixture(scope="session")
def tokens(home: Path) -> Tokens:
    return Tokens(home)


@pytest.fixture
def auth(tokens: Tokens) -> dict[str, str]:
    """Headers of the default caller, the organisation `ttd`."""
    return tokens.bearer("ttd")


@pytest.fixture(params=BACKENDS)
async def database_env(request: pytest.FixtureRequest) -> AsyncIterator[dict[str, str]]:
    """Settings of an `orderdesk` process: none for SQLite (the file in its home), a fresh database of
    its own for PostgreSQL."""
    if request.param == "sqlite":
        yield {}
        return
    from tests.support.processes import fresh_postgres_database

    yield {"ORDERDESK_DATABASE_URL": await fresh_postgres_database(POSTGRES_URL, "serve")}
