"""The operator console in headless Chromium against a real `orderdesk serve`: signing in with the
one-time password `orderdesk operators add` prints, the throttle, CSRF, a viewer's limits, an admin
adding and revoking an API client and the audit page showing it; the wall between console and API.
Screenshots of the main pages when ORDERDESK_CONSOLE_SCREENSHOTS asks for them."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx
import pytest
from playwright.async_api import expect

from orderdesk.console.models import Role
from orderdesk.purchases.service.clients import register_client
from tests.factories.notifications import email_order, in_future
from tests.support.browser import (
    ContextMaker,
    ServedConsole,
    SignInAs,
    choose_password,
    screenshot,
    sign_in,
)

pytestmark = pytest.mark.slow


async def test_operator__one_time_password_printed_by_the_cli__chooses_a_password__sees_the_overview(
    console: ServedConsole, new_context: ContextMaker
) -> None:
    added = console.run_operators_add(Role.ADMIN, "ada")
    page = await (await new_context()).new_page()

    await page.goto(added["console_url"])
    await expect(page).to_have_url(re.compile(r"/console/sign-in$"))
    await screenshot(page, console, "sign-in")
    await sign_in(page, added["email"], added["one_time_password"])
    await expect(page).to_have_url(re.compile(r"/console/password$"))
    await expect(page.get_by_text("You signed in with a one-time password")).to_be_visible()
    await choose_password(page)

    await expect(page).to_have_url(added["console_url"])
    await expect(page.get_by_role("heading", level=1)).to_have_text("Overview")
    await expect(page.locator(".operator")).to_have_text(added["email"])


async def test_sign_in__wrong_password_five_times__the_sixth_attempt_is_throttled(
    console: ServedConsole, new_context: ContextMaker
) -> None:
    added = console.run_operators_add(Role.VIEWER, "guessed")
    page = await (await new_context()).new_page()
    await page.goto(added["console_url"])

    for _ in range(5):
        await sign_in(page, added["email"], "not the password")
        await expect(page.get_by_role("alert")).to_have_text("The e-mail address or the password is wrong.")
    await sign_in(page, added["email"], added["one_time_password"])

    await expect(page.get_by_role("alert")).to_contain_text("Too many failed sign-ins")
    await expect(page.get_by_role("button", name="Sign in")).to_be_visible()


async def test_form_without_its_csrf_token__refused_and_nothing_changed(
    console: ServedConsole, sign_in_as: SignInAs
) -> None:
    page = await sign_in_as(Role.ADMIN)
    await page.get_by_role("link", name="API clients").click()

    await page.evaluate("document.querySelector('form.add-client input[name=csrf_token]').remove()")
    await page.get_by_label("New client's name").fill("without a token")
    async with page.expect_navigation() as sent:
        await page.get_by_role("button", name="Add the client").click()

    assert (await sent.value).status == 403
    await expect(page.get_by_role("alert")).to_contain_text("security token is missing or wrong")
    await page.goto(f"{console.base_url}/console/clients")
    await expect(page.get_by_text("without a token")).to_have_count(0)


async def test_viewer__no_admin_buttons__a_forged_post_with_their_session_refused(
    console: ServedConsole, sign_in_as: SignInAs
) -> None:
    async with console.database.transaction() as connection:
        shop = await register_client(connection, "viewer's shop", datetime.now(UTC))
    page = await sign_in_as(Role.VIEWER)
    clients = f"{console.base_url}/console/clients"
    await page.goto(clients)
    row = page.locator(f"#client-{shop.client_id}")
    await expect(row).to_contain_text("viewer's shop")
    await expect(page.get_by_role("button", name="Add the client")).to_have_count(0)
    await expect(page.get_by_role("button", name="Revoke")).to_have_count(0)

    # The page's own token (of its sign-out form) and the viewer's cookie: still not an admin.
    token = await page.locator("input[name=csrf_token]").first.get_attribute("value")
    revoke = await page.request.post(f"{clients}/{shop.client_id}/revoke", form={"csrf_token": token or ""})
    add = await page.request.post(clients, form={"name": "forged", "csrf_token": token or ""})

    assert revoke.status == add.status == 403
    await page.reload()
    await expect(row).to_contain_text("active")
    await expect(page.get_by_text("forged")).to_have_count(0)


async def test_admin__adds_an_api_client__sees_the_secret_once__revokes_it__the_audit_page_shows_both(
    console: ServedConsole, sign_in_as: SignInAs
) -> None:
    page = await sign_in_as(Role.ADMIN)
    await page.get_by_role("link", name="API clients").click()
    await page.get_by_label("New client's name").fill("Web shop")
    await page.get_by_role("button", name="Add the client").click()

    await expect(page.get_by_role("heading", level=1)).to_have_text("API client added")
    client_id = await page.locator(".client-id").inner_text()
    secret = await page.locator(".client-secret").inner_text()
    async with httpx.AsyncClient(base_url=console.base_url) as http:
        assert await token_status(http, client_id, secret) == 200
    await page.get_by_role("link", name="Back to the API clients").click()
    row = page.locator(f"#client-{client_id}")
    await expect(row).to_contain_text("Web shop")
    await expect(row).to_contain_text("active")
    await expect(page.get_by_text(secret)).to_have_count(0)
    await screenshot(page, console, "clients")

    await row.get_by_role("button", name="Revoke").click()
    await expect(row).to_contain_text("revoked")
    async with httpx.AsyncClient(base_url=console.base_url) as http:
        assert await token_status(http, client_id, secret) == 401

    await page.get_by_role("link", name="Audit").click()
    entries = page.locator("table.audit tbody tr")
    await expect(entries.nth(0)).to_contain_text(f"revoke api_client {client_id}")
    await expect(entries.nth(1)).to_contain_text(f"add api_client {client_id}")
    await expect(entries.nth(1)).to_contain_text("name: Web shop")
    await expect(page.get_by_text(secret)).to_have_count(0)
    await screenshot(page, console, "audit")
    await entries.nth(1).get_by_role("link", name=client_id).click()
    await expect(page).to_have_url(re.compile(rf"/console/clients#client-{client_id}$"))


async def test_api_token__opens_no_console_page__console_session__opens_no_api_path(
    console: ServedConsole, sign_in_as: SignInAs, api: httpx.AsyncClient
) -> None:
    placed = await api.post(
        "/notifications/api/v1/orders/email", json=email_order(requestedSendTime=in_future(hours=2))
    )
    assert placed.status_code == 202, placed.text
    page = await sign_in_as(Role.ADMIN)

    with_session = await page.request.get(
        f"{console.base_url}/notifications/api/v1/orders/{placed.json()['orderId']}"
    )
    with_token = await api.get("/console/")

    assert with_session.status == 401
    assert with_token.status_code == 303
    assert with_token.headers["location"] == "/console/sign-in"


async def token_status(http: httpx.AsyncClient, client_id: str, secret: str) -> int:
    """The status `POST /oauth/token` answers a client with these credentials."""
    form = {"grant_type": "client_credentials"}
    return (await http.post("/oauth/token", data=form, auth=(client_id, secret))).status_code
