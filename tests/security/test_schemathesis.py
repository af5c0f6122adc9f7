"""Schemathesis with every check against every family, on SQLite and PostgreSQL: CI fails on any 5xx
and on any response the OpenAPI document does not allow.

Each door gets valid credentials of its own kind so that generated requests reach the handlers.
Schemathesis drives the app in-process from one event-loop thread of its own, so each backend gets a
database made here (migrated on a loop of its own) rather than the session-loop fixtures of conftest.
"""

from __future__ import annotations

import asyncio
import base64
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import coverage
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import run_state_machine_as_test
from schemathesis import APIOperation
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.config._checks import (
    POSITIVE_DATA_ACCEPTANCE_EXPECTED_STATUSES,
    PositiveDataAcceptanceConfig,
)
from schemathesis.core.result import Err
from schemathesis.generation.feedback import FeedbackSources
from schemathesis.pytest._test_builder import build_operation_test
from schemathesis.python._constants.orchestrator import make_constants_value_source
from starlette.types import Receive, Scope, Send

from orderdesk.app import create_app
from orderdesk.auth.tokens import (
    COMPOSED_EMAIL_CREATE_SCOPE,
    DELIVERY_REPORTS_WRITE_SCOPE,
    NOTIFICATIONS_SUPPORT_SCOPE,
)
from orderdesk.core.addresses import MOBILE_NUMBER_FORMAT
from orderdesk.core.clock import utcnow
from orderdesk.core.db import Database
from orderdesk.core.outbound import AddressPolicy
from orderdesk.migrations import runner
from orderdesk.purchases.service.clients import register_client
from orderdesk.settings import AuthSettings, DatabaseSettings, PurchaseSettings, Settings
from tests.conftest import BACKENDS, POSTGRES_URL, TEST_ALLOWED_NETWORKS, Tokens, make_settings
from tests.support.processes import fresh_postgres_database

pytestmark = pytest.mark.slow  # generated requests by the thousand


@dataclass(frozen=True)
class Target:
    """The app under test on one backend, and the purchase-API client its requests act as."""

    app: FastAPI
    client_id: str
    client_secret: str


async def _prepare(url: str) -> tuple[str, str]:
    database = Database.from_url(url, pool_size=2)
    try:
        await runner.upgrade(database)
        async with database.transaction() as connection:
            client = await register_client(connection, "schemathesis", utcnow())
        return client.client_id, client.client_secret
    finally:
        await database.dispose()


@pytest.fixture(scope="module", params=BACKENDS)
def target(
    request: pytest.FixtureRequest, home: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Target]:
    if request.param == "postgres":
        url = asyncio.run(fresh_postgres_database(POSTGRES_URL, "schemathesis"))
    else:
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('schemathesis') / 'st.db'}"
    client_id, client_secret = asyncio.run(_prepare(url))
    # Made here but connected on schemathesis' loop, where every request of the module runs.
    database = Database.from_url(url, pool_size=2)
    # Generous rate limits: generated requests come faster than a client's 100 a second.
    app_settings = make_settings(home, url).model_copy(
        update={
            "purchases": PurchaseSettings(
                rate_limit_per_second=100_000,
                rate_limit_per_minute=100_000,
                # The checks send wrong credentials to /oauth/token far more often than a client would;
                # past the attempt limit they would get 429 (tests/security/test_oauth_token_limits.py).
                token_failures_per_client=100_000,
                token_failures_per_address=100_000,
            )
        }
    )
    app = create_app(app_settings, database=database, clock=utcnow)
    target = Target(app, client_id, client_secret)
    _current.app, _current.target, _current.tokens = app, target, Tokens(home)
    yield target
    _current.app, _current.target, _current.tokens = None, None, None
    asyncio.run(database.dispose())


def _document() -> dict[str, Any]:
    """The document of an app that serves nothing: no key file, no database connection."""
    app = create_app(
        Settings(
            home=Path("/nonexistent/orderdesk-schemathesis"),
            auth=AuthSettings(trust_local_key=False),
            database=DatabaseSettings(url="sqlite+aiosqlite://"),
        )
    )
    return app.openapi()


class _CurrentBackend:
    """The ASGI app schemathesis is given at import: it passes each request to the app of the backend
    under test. Checks that send requests of their own (without credentials, with another method, after
    a delete) reach the same app this way."""

    def __init__(self) -> None:
        self.app: FastAPI | None = None
        self.target: Target | None = None
        self.tokens: Tokens | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            # The apps under test are started and stopped by the `target` fixture, not by schemathesis.
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        assert self.app is not None, "no backend under test"
        await self.app(scope, receive, send)


_current = _CurrentBackend()
# Loaded at import: the operations are the tests' parameters (`schemathesis.pytest.from_fixture` fails
# on pytest 9).
schema = schemathesis.openapi.from_dict(_document())
schema.app = _current
# OpenAPI does not forbid query parameters it does not name; orderdesk ignores them, as the original
# services do (caches and proxies add their own).
schema.config.generation.update(allow_extra_parameters=False)
# Strings are Unicode text, sent as UTF-8: no lone surrogates (which orderdesk refuses, see
# core.jsonschema.STORABLE_PATTERN).
schema.config.generation.update(codec="utf-8")
# Valid data may still be refused for what it means: the data-order API's apply answers a query that
# matches no file with 422 DENIED (EMPTY_ORDER), as REGARDS does. A 422 anywhere else is an
# undocumented status, which status_code_conformance reports.
schema.config.checks.positive_data_acceptance = PositiveDataAcceptanceConfig.from_dict(
    {"expected-statuses": [*POSITIVE_DATA_ACCEPTANCE_EXPECTED_STATUSES, "422"]}
)
# No pattern can say which numbers a country assigns: valid mobile numbers come from here.
schemathesis.openapi.format(
    MOBILE_NUMBER_FORMAT, st.sampled_from(["+4799999999", "+4741234567", "004790012345", "41234567"])
)


_CALLED_URLS = ("conditionEndpoint", "callbackUrl")
_PUBLIC_HOST = "condition.example"
_PUBLIC_IPV6 = "[2001:4860:4860:0:0:0:0:8888]"


def _with_public_host(url: str) -> str:
    """`url` with its host replaced by a public one (a public IPv6 address for a bracketed one) and
    every other character kept: a URL generated to break the pattern still breaks it."""
    start = url.find("//") + 2
    end = min([found for found in (url.find(stop, start) for stop in "/?#") if found != -1] or [len(url)])
    host_start = start + url[start:end].rfind("@") + 1
    rest = url[host_start:end]
    if rest.startswith("["):
        host_length, public = rest.find("]") + 1 or len(rest), _PUBLIC_IPV6
    else:
        host_length, public = rest.find(":") if ":" in rest else len(rest), _PUBLIC_HOST
    return url[:host_start] + public + url[host_start + host_length :]


@schema.hook
def map_body(_context: Any, body: Any) -> Any:
    """Two rules JSON Schema cannot state (the fields' descriptions do) are kept by the generated data:

    - a notification order's send time may be at most five minutes in the past (an order chain's, and
      each of its reminders', not at all), a rule relative to the clock: generated times that are well
      formed but past are moved to tomorrow;
    - a URL orderdesk will call may not name an address outside the public internet (and the test's
      allowed networks), which no pattern can list: the host of such a generated URL is replaced by a
      public name; a webhook's URL is https besides (plain http only inside the operator's networks).
    """
    if not isinstance(body, dict):
        return body
    policy: AddressPolicy = AddressPolicy.from_text(TEST_ALLOWED_NETWORKS)
    for name in _CALLED_URLS:
        url = body.get(name)
        if isinstance(url, str) and policy.url_problem(url) is not None:
            body = {**body, name: _with_public_host(url)}
    body = _webhook_over_https(body, policy)
    body = _with_late_signatures(body)
    reminders = body.get("reminders")
    if isinstance(reminders, list):
        body = {
            **body,
            "reminders": [_sent_later(item) if isinstance(item, dict) else item for item in reminders],
        }
    return _sent_later(body)


_PLAIN_HTTP = re.compile(r"^[Hh][Tt][Tt][Pp]://")


def _webhook_over_https(body: dict[str, Any], policy: AddressPolicy) -> dict[str, Any]:
    """A webhook subscription's generated `url` made https, with a public host where it names another:
    plain http is taken only for the operator's own networks, which no pattern can list."""
    url = body.get("url")
    if "events" not in body or not isinstance(url, str):
        return body
    url = _PLAIN_HTTP.sub("https://", url)
    return {**body, "url": _with_public_host(url) if policy.url_problem(url) is not None else url}


def _sent_later(part: dict[str, Any]) -> dict[str, Any]:
    """`part` with a well-formed `requestedSendTime` in the past moved to tomorrow (an order chain's
    reminders have send times of their own)."""
    if isinstance(part.get("requestedSendTime"), str):
        try:
            when = datetime.fromisoformat(part["requestedSendTime"])
        except ValueError:
            return part
        if when.tzinfo is not None and when < datetime.now(UTC):
            return {**part, "requestedSendTime": (datetime.now(UTC) + timedelta(days=1)).isoformat()}
    return part


_SAS_EXPIRY = re.compile(r"(?<=[?&])se=[^&#]+")


def _with_late_signatures(body: dict[str, Any]) -> dict[str, Any]:
    """A composed e-mail's attachment signature must stay valid 15 minutes past the send time, a rule
    relative to the clock: each generated `se` becomes a time well after any send time generated."""
    recipient = body.get("recipient")
    settings_ = recipient.get("emailSettings") if isinstance(recipient, dict) else None
    attachments = settings_.get("attachments") if isinstance(settings_, dict) else None
    if not isinstance(attachments, list):
        return body
    late = (datetime.now(UTC) + timedelta(days=3)).strftime("se=%Y-%m-%dT%H:%M:%SZ")
    for item in attachments:
        if isinstance(item, dict) and isinstance(item.get("sasUrl"), str):
            item["sasUrl"] = _SAS_EXPIRY.sub(late, item["sasUrl"])
    return body


@schema.auth(refresh_interval=None)
class _Credentials:
    """Valid credentials of the kind each door accepts, so that generated requests get past
    authentication; schemathesis leaves them out where a case is about missing credentials."""

    def get(self, case: schemathesis.Case, _context: Any) -> dict[str, str]:  # type: ignore[type-arg]
        if _current.target is None or _current.tokens is None:
            return {}  # asked while collecting, before any backend is up
        return credentials(case.operation.path, _current.tokens, _current.target)

    def set(self, case: schemathesis.Case, data: dict[str, str], _context: Any) -> None:  # type: ignore[type-arg]
        case.headers.update(data)


def credentials(path: str, tokens: Tokens, target: Target) -> dict[str, str]:
    """Valid credentials of the kind each door accepts."""
    if path.startswith("/capi/v1/client/"):
        return tokens.client(target.client_id)
    if path.startswith(("/capi/", "/api/v1/rs-order/")):
        return tokens.user("ola@example.com")
    if path == "/notifications/api/v1/future/orders/composed-email":
        return tokens.bearer("ttd", scopes=(COMPOSED_EMAIL_CREATE_SCOPE,))
    if path.startswith("/notifications/api/v1/reports/"):
        return tokens.bearer("ttd", scopes=(DELIVERY_REPORTS_WRITE_SCOPE,))
    if path.startswith("/notifications/api/v1/future/dashboard/"):
        return tokens.bearer("digdir", scopes=(NOTIFICATIONS_SUPPORT_SCOPE,))
    if path.startswith("/notifications/"):
        return tokens.bearer("ttd")
    if path == "/oauth/token":
        basic = base64.b64encode(f"{target.client_id}:{target.client_secret}".encode()).decode()
        return {"Authorization": f"Basic {basic}"}
    return {}


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def _every_check(case: schemathesis.Case, target: Target) -> None:  # type: ignore[type-arg]
    # The boundary cases built outside the pytest plugin do not pass through the schema's hooks: the
    # rules `map_body` keeps are applied here too (it leaves a body that keeps them as it is).
    case.body = map_body(None, case.body)
    # No `checks=`: every check schemathesis has runs (`--checks all`), see the test below.
    case.call_and_validate()


def _operations() -> dict[str, APIOperation]:  # type: ignore[type-arg]
    """Every operation of the document by its label; a part schemathesis cannot read fails here."""
    found = {}
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise result.err()
        found[result.ok().label] = result.ok()
    return found


_OPERATIONS = _operations()


def _operation_test(label: str) -> Callable[..., None]:
    """The hypothesis test of one operation, with every phase (examples, boundary cases, fuzzing),
    built when the test runs.

    `@schema.parametrize()` built them all at collection, in every xdist worker: the boundary cases of
    the order chain's nested recipients alone took half a minute, and every worker waited for all
    of them before running a test. Built here, each costs only the worker that runs it, and
    coverage.py is paused meanwhile (hypothesis generating data runs none of orderdesk's code; traced,
    it took three times as long). Nothing keeps it afterwards: a worker holding every operation's
    cases made each garbage collection walk them, and a later test that builds an OpenAPI document
    took minutes. `build_operation_test` is what the pytest plugin itself calls; its module is
    private, so schemathesis is pinned in requirements.lock."""
    measuring = coverage.Coverage.current()
    if measuring is not None:
        measuring.stop()
    try:
        return build_operation_test(
            config=schema.config,
            operation=_OPERATIONS[label],
            test_func=_every_check,
            given_kwargs={},
            feedback=FeedbackSources(constants_value_source=make_constants_value_source(schema)),
        )
    finally:
        if measuring is not None:
            measuring.start()


@pytest.mark.parametrize("operation", list(_OPERATIONS))
def test_every_operation__every_check__no_server_error_and_nothing_the_document_does_not_say(
    operation: str, target: Target
) -> None:
    _operation_test(operation)(target=target)


def test_every_check__enabled() -> None:
    """`--checks all`: every check schemathesis registers runs, besides max_response_time (a timing
    limit, which does not belong in tests)."""
    load_all_checks()
    names = set(CHECKS.get_all_names())
    assert {
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
        "positive_data_acceptance",
        "use_after_free",
        "ensure_resource_availability",
        "missing_required_header",
        "unsupported_method",
        "ignored_auth",
    } <= names
    for name in sorted(names - {"max_response_time"}):
        assert schema.config.checks.get_by_name(name=name).enabled, name


# Sequences that follow the document's links (an order placed, then read, cancelled, read again), so
# that the checks on a resource's life (use_after_free, ensure_resource_availability) have one.
_Workflow = schema.as_state_machine()


@pytest.mark.usefixtures("target")
def test_linked_operations__every_check__resources_behave_as_the_document_says() -> None:
    run_state_machine_as_test(
        _Workflow,
        settings=settings(
            max_examples=10,
            stateful_step_count=6,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        ),
    )
