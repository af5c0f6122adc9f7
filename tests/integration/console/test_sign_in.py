"""The operator console's sign-in through HTTP, on SQLite and PostgreSQL: one-time password, choosing
a password, the throttle, CSRF, sessions and their cookies, and the wall between console and API."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from orderdesk.app import create_app
from orderdesk.console import service
from orderdesk.console.models import Role
from orderdesk.core.db import Database
from orderdesk.settings import Settings
from tests.conftest import Clock
from tests.support.console import (
    NEW_PASSWORD,
    add_operator,
    choose,
    csrf_of,
    in_transaction,
    sign_in,
    signed_in,
)

ORDERS = "/notifications/api/v1/orders"


def test_console__not_in_the_openapi_document(settings: Settings, database: Database) -> None:
    paths = create_app(settings, database=database).openapi()["paths"]
    assert not [path for path in paths if path.startswith("/console")]


async def test_operator__one_time_password__must_choose_a_password__then_sees_the_overview(
    client: httpx.AsyncClient, database: Database, clock: Clock
) -> None:
    added = await add_operator(database, clock, "Ada@Example.org", Role.ADMIN)

    signed = await sign_in(client, "ada@example.org", added.one_time_password)
    assert signed.status_code == 303
    assert signed.headers["location"] == "/console/password"
    assert (await client.get("/console/")).headers["location"] == "/console/password"

    short = await choose(client, "too short")
    assert short.status_code == 400
    assert "at least 12 characters" in short.text
    assert (await choose(client, NEW_PASSWORD, "something else!")).status_code == 400

    chosen = await choose(client, NEW_PASSWORD)
    assert chosen.status_code == 303
    overview = await client.get("/console/")
    assert overview.status_code == 200
    assert "ada@example.org" in overview.text
    assert '<span class="role">admin</span>' in overview.text


async def test_one_time_password__no_longer_works_once_a_password_is_chosen(
    settings: Settings, client: httpx.AsyncClient, database: Database, clock: Clock
) -> None:
    added = await add_operator(database, clock, "ada@example.org")
    await sign_in(client, "ada@example.org", added.one_time_password)
    await choose(client, NEW_PASSWORD)
    client.cookies.clear()

    assert (await sign_in(client, "ada@example.org", added.one_time_password)).status_code == 401
    again = await sign_in(client, "ada@example.org", NEW_PASSWORD)
    assert again.headers["location"] == "/console/"


@pytest.mark.parametrize("role", list(Role))
async def test_overview__viewer_and_admin__see_it_with_their_role(
    client: httpx.AsyncClient, database: Database, clock: Clock, role: Role
) -> None:
    await signed_in(client, database, clock, "op@example.org", role)

    overview = await client.get("/console/")

    assert overview.status_code == 200
    assert f'<span class="role">{role.value}</span>' in overview.text
    assert 'action="/console/sign-out"' in overview.text


async def test_console__without_a_session__303_to_sign_in(client: httpx.AsyncClient) -> None:
    for path in ("/console/", "/console/password"):
        answer = await client.get(path)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/console/sign-in"


async def test_sign_in__wrong_password_or_unknown_account__401_naming_neither(
    client: httpx.AsyncClient, database: Database, clock: Clock
) -> None:
    await add_operator(database, clock, "ada@example.org")

    wrong = await sign_in(client, "ada@example.org", "not the password")
    unknown = await sign_in(client, "nobody@example.org", "not the password")

    assert wrong.status_code == unknown.status_code == 401
    assert "The e-mail address or the password is wrong." in wrong.text
    assert "orderdesk_console=" not in wrong.headers.get("set-cookie", "")


async def test_sign_in__missing_password__400(client: httpx.AsyncClient) -> None:
    form = await client.get("/console/sign-in")
    answer = await client.post(
        "/console/sign-in", data={"email": "a@example.org", "csrf_token": csrf_of(form)}
    )
    assert answer.status_code == 400
    assert "password are required" in answer.text


async def test_sign_in__five_failures_of_an_account__429_with_the_right_password_until_the_window_passes(
    settings: Settings, database: Database, clock: Clock
) -> None:
    added = await add_operator(database, clock, "ada@example.org")
    clock.stop()
    # Each failure from an address of its own: the account's count alone throttles.
    for number in range(5):
        async with _client_from(settings, database, clock, f"10.0.0.{number}") as http:
            assert (await sign_in(http, "ada@example.org", "wrong password")).status_code == 401

    async with _client_from(settings, database, clock, "10.0.1.1") as http:
        refused = await sign_in(http, "ada@example.org", added.one_time_password)
        assert refused.status_code == 429
        assert "Too many failed sign-ins" in refused.text

        clock.advance(timedelta(minutes=15, seconds=1))
        assert (await sign_in(http, "ada@example.org", added.one_time_password)).status_code == 303


async def test_sign_in__five_failures_from_an_address__429_for_every_account_from_it(
    settings: Settings, database: Database, clock: Clock
) -> None:
    added = await add_operator(database, clock, "ada@example.org")
    clock.stop()
    async with _client_from(settings, database, clock, "10.0.0.9") as http:
        for number in range(5):
            assert (await sign_in(http, f"guess{number}@example.org", "wrong password")).status_code == 401
        assert (await sign_in(http, "ada@example.org", added.one_time_password)).status_code == 429

    async with _client_from(settings, database, clock, "10.0.0.10") as http:
        assert (await sign_in(http, "ada@example.org", added.one_time_password)).status_code == 303


def _client_from(settings: Settings, database: Database, clock: Clock, address: str) -> httpx.AsyncClient:
    app = create_app(settings, clock=clock, database=database)
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def test_post__without_or_with_a_wrong_csrf_token__403_and_nothing_changed(
    client: httpx.AsyncClient, database: Database, clock: Clock
) -> None:
    added = await add_operator(database, clock, "ada@example.org")
    await client.get("/console/sign-in")
    fields = {"email": "ada@example.org", "password": added.one_time_password}
    assert (await client.post("/console/sign-in", data=fields)).status_code == 403
    assert (await client.post("/console/sign-in", data={**fields, "csrf_token": "forged"})).status_code == 403
    assert (await client.get("/console/")).status_code == 303  # not signed in

    await sign_in(client, "ada@example.org", added.one_time_password)
    for token in (None, "forged"):
        form = {"password": NEW_PASSWORD, "repeated": NEW_PASSWORD} | ({"csrf_token": token} if token else {})
        refused = await client.post("/console/password", data=form)
        assert refused.status_code == 403
        assert "security token is missing or wrong" in refused.text
        assert (await client.post("/console/sign-out", data=form)).status_code == 403
    # Still signed in, still to choose a password.
    assert (await client.get("/console/")).headers["location"] == "/console/password"


async def test_sign_out__ends_the_session__the_old_cookie_opens_nothing(
    client: httpx.AsyncClient, database: Database, clock: Clock
) -> None:
    await signed_in(client, database, clock, "ada@example.org", Role.VIEWER)
    overview = await client.get("/console/")
    old_cookie = client.cookies["orderdesk_console"]

    out = await client.post("/console/sign-out", data={"csrf_token": csrf_of(overview)})

    assert out.status_code == 303
    assert out.headers["location"] == "/console/sign-in"
    client.cookies.set("orderdesk_console", old_cookie)
    assert (await client.get("/console/")).headers["location"] == "/console/sign-in"


async def test_session__expired__303_to_sign_in(
    client: httpx.AsyncClient, database: Database, clock: Clock
) -> None:
    await signed_in(client, database, clock, "ada@example.org", Role.VIEWER)
    assert (await client.get("/console/")).status_code == 200

    clock.advance(timedelta(hours=8, seconds=1))

    assert (await client.get("/console/")).headers["location"] == "/console/sign-in"


async def test_session_cookie__http_only_same_site_lax__not_secure_over_http(
    client: httpx.AsyncClient, database: Database, clock: Clock
) -> None:
    added = await add_operator(database, clock, "ada@example.org")
    cookie = (await sign_in(client, "ada@example.org", added.one_time_password)).headers["set-cookie"]

    assert cookie.startswith("orderdesk_console=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/console/" in cookie
    assert "Max-Age=28800" in cookie
    assert "Secure" not in cookie


async def test_session_cookie__secure_over_https(
    settings: Settings, database: Database, clock: Clock
) -> None:
    added = await add_operator(database, clock, "ada@example.org")
    app = create_app(settings, clock=clock, database=database)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://testserver"
    ) as http:
        signed = await sign_in(http, "ada@example.org", added.one_time_password)

    assert signed.status_code == 303
    assert "Secure" in signed.headers["set-cookie"]


async def test_api_token__does_not_open_the_console(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    answer = await client.get("/console/", headers=auth)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/sign-in"


async def test_console_session__does_not_open_the_api(
    client: httpx.AsyncClient, database: Database, clock: Clock
) -> None:
    await signed_in(client, database, clock, "ada@example.org", Role.ADMIN)
    assert (await client.get("/console/")).status_code == 200

    answer = await client.get(f"{ORDERS}/00000000-0000-0000-0000-000000000000")

    assert answer.status_code == 401


async def test_remove_operator__ends_their_sessions(
    client: httpx.AsyncClient, database: Database, clock: Clock
) -> None:
    await signed_in(client, database, clock, "ada@example.org", Role.ADMIN)

    await in_transaction(database, lambda c: service.remove_operator(c, "ada@example.org"))

    assert (await client.get("/console/")).headers["location"] == "/console/sign-in"


async def test_reset_password__ends_sessions__the_new_one_time_password_forces_a_new_choice(
    client: httpx.AsyncClient, database: Database, clock: Clock
) -> None:
    await signed_in(client, database, clock, "ada@example.org", Role.VIEWER)

    reset = await in_transaction(database, lambda c: service.reset_password(c, "ada@example.org"))

    assert (await client.get("/console/")).headers["location"] == "/console/sign-in"
    assert (await sign_in(client, "ada@example.org", NEW_PASSWORD)).status_code == 401
    signed = await sign_in(client, "ada@example.org", reset.one_time_password)
    assert signed.headers["location"] == "/console/password"


async def test_style_sheet__served_by_orderdesk(client: httpx.AsyncClient) -> None:
    answer = await client.get("/console/static/console.css")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/css")
