"""The console's audit page through HTTP, on SQLite and PostgreSQL: admin actions newest first, paged
with a keyset cursor, filtered by operator and by target, each target linked to its console page; bad
filters and cursors are 400 pages naming them."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest

from orderdesk.console import service
from orderdesk.console.models import NewPassword, Role, Session
from orderdesk.console.paging import PAGE_SIZE
from orderdesk.core.db import Database
from tests.conftest import Clock
from tests.support.console import add_operator, in_transaction, signed_in

AUDIT = "/console/audit"


async def record(
    database: Database,
    clock: Clock,
    operator: NewPassword,
    action: str,
    target: tuple[str, str],
    detail: dict[str, object] | None = None,
) -> None:
    """An admin action's entry, as the action's own transaction writes it; a second later each time."""
    session = Session(operator.operator, "unused", clock() + timedelta(hours=1))
    await in_transaction(
        database, lambda c: service.record_action(c, session, action, target, clock(), detail)
    )
    clock.advance(timedelta(seconds=1))


def actions(page: httpx.Response) -> list[str]:
    return re.findall(r"<td>([\w-]+)</td>\n<td>notification_order", page.text)


def next_link(page: httpx.Response) -> str | None:
    match = re.search(r'<a rel="next" href="([^"]+)">', page.text)
    return None if match is None else match.group(1).replace("&amp;", "&")


async def test_audit__newest_first__paged_with_a_cursor_to_the_last_entry(
    client: httpx.AsyncClient, database: Database, clock: Clock
) -> None:
    admin = await add_operator(database, clock, "admin@example.org", Role.ADMIN)
    clock.stop()
    for number in range(PAGE_SIZE + 2):
        await record(database, clock, admin, f"a{number}", ("notification_order", f"order-{number}"))
    await signed_in(client, database, clock, "viewer@example.org", Role.VIEWER)

    first = await client.get(AUDIT)
    assert first.status_code == 200
    assert actions(first) == [f"a{number}" for number in range(PAGE_SIZE + 1, 1, -1)]
    link = next_link(first)
    assert link is not None

    second = await client.get(link)
    assert actions(second) == ["a1", "a0"]
    assert next_link(second) is None


async def test_audit__filtered_by_operator_and_by_target__the_cursor_keeps_the_filter(
    client: httpx.AsyncClient, database: Database, clock: Clock
) -> None:
    ada = await add_operator(database, clock, "ada@example.org", Role.ADMIN)
    bob = await add_operator(database, clock, "bob@example.org", Role.ADMIN)
    clock.stop()
    for number in range(PAGE_SIZE + 1):
        await record(database, clock, ada, f"ada{number}", ("notification_order", "order-1"))
        await record(database, clock, bob, f"bob{number}", ("notification_order", f"order-{number % 2}"))
    await signed_in(client, database, clock, "viewer@example.org", Role.VIEWER)

    by_ada = await client.get(AUDIT, params={"operator": " ADA@example.org "})
    assert set(actions(by_ada)) == {f"ada{number}" for number in range(1, PAGE_SIZE + 1)}
    link = next_link(by_ada)
    assert link is not None
    assert "operator=" in link
    assert actions(await client.get(link)) == ["ada0"]

    target = {"target_kind": "notification_order", "target_id": "order-0"}
    by_target = await client.get(AUDIT, params=target)
    assert actions(by_target) == [f"bob{number}" for number in range(PAGE_SIZE, -1, -2)]
    assert next_link(by_target) is None

    both = await client.get(AUDIT, params={**target, "target_id": "order-1", "operator": "bob@example.org"})
    assert actions(both) == [f"bob{number}" for number in range(PAGE_SIZE - 1, 0, -2)]

    other = await client.get(AUDIT, params={**target, "target_kind": "data_order"})
    assert "No admin action matches." in other.text


async def test_audit__targets_link_to_their_console_pages__detail_escaped(
    client: httpx.AsyncClient, database: Database, clock: Clock
) -> None:
    admin = await add_operator(database, clock, "admin@example.org", Role.ADMIN)
    await record(database, clock, admin, "cancel", ("notification_order", "0b6e"), {"reason": "<b>bad</b>"})
    await record(database, clock, admin, "pause", ("data_order", "7"))
    await record(database, clock, admin, "send-callback", ("purchase_order", "a/b"))
    await record(database, clock, admin, "revoke", ("api_client", "c1"))
    await record(database, clock, admin, "other", ("something_else", "x"))
    await signed_in(client, database, clock, "viewer@example.org", Role.VIEWER)

    page = await client.get(AUDIT)

    assert 'href="/console/orders/0b6e"' in page.text
    assert 'href="/console/data-orders/7"' in page.text
    assert 'href="/console/purchases/a%2Fb"' in page.text
    assert 'href="/console/clients#client-c1"' in page.text
    assert "<td>something_else x\n" in page.text
    assert "reason: &lt;b&gt;bad&lt;/b&gt;" in page.text
    assert "<b>bad</b>" not in page.text
    assert 'href="/console/audit?operator=admin%40example.org"' in page.text


@pytest.mark.usefixtures("viewer")
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"cursor": "not-a-cursor"}, "The cursor is not one this console made."),
        ({"target_kind": "order"}, "One of notification_order, data_order"),
        ({"target_id": "order-1"}, "Choose the target&#39;s kind too"),
        ({"target_kind": "data_order"}, "Give the target&#39;s id too"),
        ({"target_kind": "data_order", "target_id": "x" * 201}, "An id of at most 200 characters."),
        ({"operator": "a\x00b@example.org"}, "An operator&#39;s e-mail address of at most 320"),
    ],
    ids=["cursor", "kind", "id-without-kind", "kind-without-id", "long-id", "control-character"],
)
async def test_audit__bad_filter_or_cursor__400_naming_it(
    client: httpx.AsyncClient, query: dict[str, str], message: str
) -> None:
    refused = await client.get(AUDIT, params=query)

    assert refused.status_code == 400
    assert message in refused.text
