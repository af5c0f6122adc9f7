"""The console's notification order pages and recipient look-up in headless Chromium against a real
`orderdesk serve` (its workers sending to the outbox): an order placed through the API on the list,
its notifications reaching a final status on its page, then counted on the overview; an admin
cancelling a scheduled order and the API answering Cancelled; a viewer without the button, their
forged POST refused; a person's notifications from two creators found by their national identity
number."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.async_api import Page, expect

from orderdesk.console.models import Role
from tests.factories import contacts
from tests.factories.notifications import email_order, in_future
from tests.support.browser import WAIT_MS, ServedConsole, SignInAs, screenshot

pytestmark = pytest.mark.slow

API = "/notifications/api/v1"


async def place(console: ServedConsole, body: dict[str, object], org: str = "ttd") -> str:
    """An e-mail order placed through the served API by the service owner `org`; its id."""
    async with httpx.AsyncClient(base_url=console.base_url, headers=console.api_headers(org)) as api:
        placed = await api.post(f"{API}/orders/email", json=body)
    assert placed.status_code == 202, placed.text
    order_id: str = placed.json()["orderId"]
    return order_id


async def api_status(console: ServedConsole, order_id: str) -> str:
    async with httpx.AsyncClient(base_url=console.base_url, headers=console.api_headers()) as api:
        answer = await api.get(f"{API}/orders/{order_id}/status")
    status: str = answer.json()["processingStatus"]["status"]
    return status


async def reload_until(page: Page, text: str, count: int = 1) -> None:
    """Reload the page until `text` shows `count` times: the workers change what it shows, the page
    does not follow by itself (it has no script)."""
    deadline = datetime.now(UTC) + timedelta(milliseconds=WAIT_MS)
    shown = page.get_by_text(text, exact=True)
    while await shown.count() < count and datetime.now(UTC) < deadline:
        await page.wait_for_timeout(200)
        await page.reload()
    await expect(shown).to_have_count(count)


async def test_order_placed_through_the_api__listed__its_notifications_reach_a_final_status(
    console: ServedConsole, sign_in_as: SignInAs
) -> None:
    recipients = [{"emailAddress": "ola@example.com"}, {"emailAddress": "kari@example.com"}]
    order_id = await place(
        console, email_order(requestedSendTime=None, sendersReference="browser-1", recipients=recipients)
    )
    page = await sign_in_as(Role.VIEWER)

    await page.get_by_role("navigation").get_by_role("link", name="Notification orders").click()
    await page.get_by_label("Sender's reference").fill("browser-1")
    await page.get_by_role("button", name="Filter").click()
    await expect(page.get_by_role("link", name=order_id)).to_have_count(1)
    await screenshot(page, console, "orders")
    await page.get_by_role("link", name=order_id).click()

    await expect(page.get_by_role("heading", level=1)).to_have_text(f"Notification order {order_id}")
    await reload_until(page, "Delivered", count=2)
    await expect(page.locator("strong.status")).to_have_text("Completed")
    for address in ("ola@example.com", "kari@example.com"):
        await expect(page.locator("td.destination", has_text=address)).to_have_count(1)
    await screenshot(page, console, "order")

    # The overview counts it among the completed orders, and its two e-mails among those sent.
    await page.get_by_role("navigation").get_by_role("link", name="Overview").click()
    completed = (
        page.get_by_role("table", name="Notification orders by status")
        .get_by_role("row")
        .filter(has=page.get_by_role("cell", name="Completed", exact=True))
    )
    await expect(completed).to_have_count(1)
    await expect(completed).not_to_contain_text(re.compile(r"\b0$"))
    await expect(page.locator("strong.sent-total")).not_to_have_text("0 sent")
    await screenshot(page, console, "overview")


async def test_admin__cancels_a_scheduled_order__the_api_answers_cancelled(
    console: ServedConsole, sign_in_as: SignInAs
) -> None:
    order_id = await place(console, email_order(requestedSendTime=in_future(hours=2)))
    page = await sign_in_as(Role.ADMIN)
    await page.goto(f"{console.base_url}/console/orders/{order_id}")

    await page.get_by_role("button", name="Cancel this order").click()

    await expect(page.get_by_role("status")).to_have_text("The order was cancelled.")
    await expect(page.locator("strong.status")).to_have_text("Cancelled")
    assert await api_status(console, order_id) == "Cancelled"
    await page.get_by_role("navigation").get_by_role("link", name="Audit").click()
    await expect(page.locator("table.audit tbody tr").nth(0)).to_contain_text(
        f"cancel notification_order {order_id}"
    )


async def test_viewer__no_cancel_button__a_forged_post_with_their_session_refused(
    console: ServedConsole, sign_in_as: SignInAs
) -> None:
    order_id = await place(console, email_order(requestedSendTime=in_future(hours=2)))
    page = await sign_in_as(Role.VIEWER)
    url = f"{console.base_url}/console/orders/{order_id}"
    await page.goto(url)
    await expect(page.locator("strong.status")).to_have_text("Registered")
    await expect(page.get_by_role("button", name="Cancel this order")).to_have_count(0)

    # The page's own token (of its sign-out form) and the viewer's cookie: still not an admin.
    token = await page.locator("input[name=csrf_token]").first.get_attribute("value")
    forged = await page.request.post(f"{url}/cancel", form={"csrf_token": token or ""})

    assert forged.status == 403
    assert await api_status(console, order_id) == "Registered"


async def test_recipient_lookup__a_persons_notifications_from_two_creators(
    console: ServedConsole, sign_in_as: SignInAs
) -> None:
    await contacts.load(console.database)
    person = [{"nationalIdentityNumber": contacts.PERSON_WITH_EMAIL}]
    by_ttd = await place(console, email_order(requestedSendTime=None, recipients=person))
    by_skd = await place(console, email_order(requestedSendTime=None, recipients=person), org="skd")
    page = await sign_in_as(Role.VIEWER)
    await page.get_by_role("navigation").get_by_role("link", name="Recipients").click()

    await page.get_by_label("National identity number").fill(contacts.PERSON_WITH_EMAIL)
    await page.get_by_role("button", name="Look up").click()

    await expect(page).to_have_url(re.compile(rf"/console/recipients\?.*nin={contacts.PERSON_WITH_EMAIL}"))
    await reload_until(page, "Delivered", count=2)
    await expect(page.locator("td.creator")).to_have_text(["skd", "ttd"])
    await expect(page.get_by_role("link", name=by_ttd)).to_have_count(1)
    await screenshot(page, console, "recipients")
    await page.get_by_role("link", name=by_skd).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"Notification order {by_skd}")
