"""The console's data orders through HTTP, on SQLite and PostgreSQL: every user's orders listed,
filtered and paged; an order's page with its sub-orders and files; pause, resume, retry and
delete by an admin through the family's own use cases (the owner's API then reports the change, and
the audit trail has it); a refusal shown on the page; a viewer who can change nothing."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from orderdesk.console import paging
from orderdesk.console.models import Role
from orderdesk.core.db import Database
from orderdesk.dataorders.tasks import StagingWorker
from orderdesk.settings import Settings
from tests.conftest import Clock, Tokens
from tests.integration.console.reading import (
    assert_refused_page,
    audit_rows,
    every_page,
    linked_ids,
    next_url,
)
from tests.integration.dataorders import conftest as dataorder_fixtures
from tests.integration.dataorders.flow import files_of, order_all, order_of, stage_everything
from tests.support.console import csrf_of, post_form, signed_in

# The data-order tests' own fixtures (a catalogue on disk, its user, the staging worker), as they are:
# pytest finds the fixtures a test module holds.
catalog = dataorder_fixtures.catalog
small_suborders = dataorder_fixtures.small_suborders
user = dataorder_fixtures.user
worker = dataorder_fixtures.worker

PAGES = "/console/data-orders"


async def act(client: httpx.AsyncClient, order_id: int, action: str) -> httpx.Response:
    """Post the action's form from the order's page, as the admin's browser does."""
    return await post_form(client, f"{PAGES}/{order_id}", f"{PAGES}/{order_id}/{action}")


def order_links(page: httpx.Response) -> list[int]:
    return [int(number) for number in linked_ids(page, PAGES)]


async def test_list__every_users_orders_newest_first__filtered_by_owner_and_status(
    client: httpx.AsyncClient,
    database: Database,
    clock: Clock,
    tokens: Tokens,
    user: dict[str, str],
    worker: StagingWorker,
    catalog: Path,
) -> None:
    first = await order_all(client, user, "ds1")
    await stage_everything(worker)
    second = await order_all(client, tokens.user("kari@example.com"), "ds1")
    await signed_in(client, database, clock, "viewer@example.org", Role.VIEWER)

    listed = await client.get(PAGES)
    by_owner = await client.get(PAGES, params={"owner": "kari@example.com"})
    by_status = await client.get(PAGES, params={"status": "DONE"})

    assert listed.status_code == 200
    assert order_links(listed) == [second, first]
    assert "ola@example.com" in listed.text
    assert "kari@example.com" in listed.text
    assert order_links(by_owner) == [second]
    assert order_links(by_status) == [first]
    assert (await client.get(PAGES, params={"owner": "nobody@example.com"})).text.count("No data order") == 1


async def test_list__paged_with_a_cursor__no_order_twice_none_left_out(
    client: httpx.AsyncClient,
    database: Database,
    clock: Clock,
    tokens: Tokens,
    catalog: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    placed = [await order_all(client, tokens.user(f"user{number}@example.com"), "ds1") for number in range(5)]
    await signed_in(client, database, clock, "viewer@example.org", Role.VIEWER)
    monkeypatch.setattr(paging, "PAGE_SIZE", 2)

    seen = await every_page(client, PAGES, PAGES)

    assert seen == [str(order_id) for order_id in reversed(placed)]


@pytest.mark.usefixtures("viewer")
@pytest.mark.parametrize(
    ("query", "named"),
    [
        ({"status": "FINISHED"}, "status"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"owner": "x" * 321}, "owner"),
    ],
)
async def test_list__bad_filter__400_page_naming_it(
    client: httpx.AsyncClient, query: dict[str, str], named: str
) -> None:
    answer = await client.get(PAGES, params=query)

    assert_refused_page(answer, 400, f"{named}:")


async def test_order_page__suborders_and_files_with_their_states_and_errors(
    client: httpx.AsyncClient,
    database: Database,
    clock: Clock,
    user: dict[str, str],
    worker: StagingWorker,
    catalog: Path,
) -> None:
    order_id = await order_all(client, user, "ds1")
    (catalog / "A" / "a1.txt").unlink()
    await stage_everything(worker)
    await signed_in(client, database, clock, "viewer@example.org", Role.VIEWER)

    answer = await client.get(f"{PAGES}/{order_id}")

    assert answer.status_code == 200
    assert "DONE_WITH_WARNING" in answer.text
    assert "ds1" in answer.text
    assert "ENDED" in answer.text or "STAGED" in answer.text  # the sub-order
    assert re.search(r"<td>ERROR</td>.*?a1\.txt.*?Could not stage the file", answer.text, re.S)
    assert re.search(r"<td>AVAILABLE</td>.*?b1\.txt", answer.text, re.S)


async def test_order_page__files_paged_by_state(
    client: httpx.AsyncClient,
    database: Database,
    clock: Clock,
    user: dict[str, str],
    catalog: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    order_id = await order_all(client, user, "ds1")
    await signed_in(client, database, clock, "viewer@example.org", Role.VIEWER)
    monkeypatch.setattr(paging, "PAGE_SIZE", 3)

    first = await client.get(f"{PAGES}/{order_id}")
    later = next_url(first)
    assert later is not None
    second = await client.get(later)

    # Each file's row starts with its state: all four PENDING, three on the first page.
    assert (first.text.count("<tr><td>PENDING</td>"), second.text.count("<tr><td>PENDING</td>")) == (3, 1)
    for name in ("a1.txt", "a2.csv", "b1.txt", "top.dat"):
        assert f"<td>{name}</td>" in first.text + second.text
    assert 'rel="next"' not in second.text


@pytest.mark.usefixtures("viewer")
@pytest.mark.parametrize("order_id", ["999999", "abc", "99999999999"])
async def test_order_page__unknown_or_not_a_number__404_page(
    client: httpx.AsyncClient, order_id: str
) -> None:
    answer = await client.get(f"{PAGES}/{order_id}")

    assert_refused_page(answer, 404, "Not Found")


async def test_pause_then_resume__the_api_reports_each__audited(
    client: httpx.AsyncClient, database: Database, clock: Clock, user: dict[str, str], catalog: Path
) -> None:
    order_id = await order_all(client, user, "ds1")
    await signed_in(client, database, clock, "admin@example.org", Role.ADMIN)

    paused = await act(client, order_id, "pause")

    assert paused.status_code == 303
    assert paused.headers["location"] == f"{PAGES}/{order_id}"
    assert (await order_of(client, user, order_id))["status"] == "PAUSED"
    assert "PAUSED" in (await client.get(f"{PAGES}/{order_id}")).text

    assert (await act(client, order_id, "resume")).status_code == 303
    assert (await order_of(client, user, order_id))["status"] == "RUNNING"
    assert await audit_rows(database) == [
        ("admin@example.org", "pause", "data_order", str(order_id)),
        ("admin@example.org", "resume", "data_order", str(order_id)),
    ]


async def test_retry__files_in_error_staged_again__done(
    client: httpx.AsyncClient,
    database: Database,
    clock: Clock,
    user: dict[str, str],
    worker: StagingWorker,
    catalog: Path,
) -> None:
    order_id = await order_all(client, user, "ds1")
    original = (catalog / "A" / "a1.txt").read_bytes()
    (catalog / "A" / "a1.txt").unlink()
    await stage_everything(worker)
    (catalog / "A" / "a1.txt").write_bytes(original)
    await signed_in(client, database, clock, "admin@example.org", Role.ADMIN)

    assert (await act(client, order_id, "retry")).status_code == 303

    assert (await files_of(client, user, order_id))["a1.txt"] == "PENDING"
    await stage_everything(worker)
    assert (await order_of(client, user, order_id))["status"] == "DONE"
    assert [row[1] for row in await audit_rows(database)] == ["retry"]


async def test_delete__deleted_for_the_api_too__staged_files_removed(
    client: httpx.AsyncClient,
    database: Database,
    clock: Clock,
    small_suborders: Settings,
    user: dict[str, str],
    worker: StagingWorker,
    catalog: Path,
) -> None:
    order_id = await order_all(client, user, "ds1")
    await stage_everything(worker)
    staged = small_suborders.home / "dataorders" / str(order_id)
    assert staged.is_dir()
    await signed_in(client, database, clock, "admin@example.org", Role.ADMIN)

    assert (await act(client, order_id, "delete")).status_code == 303

    assert (await order_of(client, user, order_id))["status"] == "DELETED"
    assert not staged.exists()
    assert [row[1] for row in await audit_rows(database)] == ["delete"]


async def test_action_the_status_forbids__409_message_on_the_page__nothing_changed_nor_audited(
    client: httpx.AsyncClient,
    database: Database,
    clock: Clock,
    user: dict[str, str],
    worker: StagingWorker,
    catalog: Path,
) -> None:
    order_id = await order_all(client, user, "ds1")
    await stage_everything(worker)
    await signed_in(client, database, clock, "admin@example.org", Role.ADMIN)

    refused = await act(client, order_id, "pause")

    assert refused.status_code == 409
    assert 'class="error"' in refused.text
    assert "Only an order that is PENDING or RUNNING can be paused; this one is DONE." in refused.text
    assert "Data order" in refused.text  # the order's own page, with the message
    assert (await order_of(client, user, order_id))["status"] == "DONE"
    assert await audit_rows(database) == []


async def test_unknown_action_or_order__404_page(
    client: httpx.AsyncClient, database: Database, clock: Clock, user: dict[str, str], catalog: Path
) -> None:
    order_id = await order_all(client, user, "ds1")
    await signed_in(client, database, clock, "admin@example.org", Role.ADMIN)

    assert (await act(client, order_id, "explode")).status_code == 404
    form = {"csrf_token": csrf_of(await client.get(PAGES))}
    assert (await client.post(f"{PAGES}/999999/pause", data=form)).status_code == 404
    assert await audit_rows(database) == []


async def test_viewer__no_action_buttons__a_forged_post_403_and_nothing_changed(
    client: httpx.AsyncClient, database: Database, clock: Clock, user: dict[str, str], catalog: Path
) -> None:
    order_id = await order_all(client, user, "ds1")
    await signed_in(client, database, clock, "viewer@example.org", Role.VIEWER)

    order_page = await client.get(f"{PAGES}/{order_id}")
    forged = await client.post(f"{PAGES}/{order_id}/pause", data={"csrf_token": csrf_of(order_page)})

    assert f'action="{PAGES}/{order_id}/pause"' not in order_page.text
    assert forged.status_code == 403
    assert (await order_of(client, user, order_id))["status"] == "PENDING"
    assert await audit_rows(database) == []


async def test_admin__without_the_csrf_token__403_and_nothing_changed(
    client: httpx.AsyncClient, database: Database, clock: Clock, user: dict[str, str], catalog: Path
) -> None:
    order_id = await order_all(client, user, "ds1")
    await signed_in(client, database, clock, "admin@example.org", Role.ADMIN)
    assert f'action="{PAGES}/{order_id}/pause"' in (await client.get(f"{PAGES}/{order_id}")).text

    for form in ({}, {"csrf_token": "forged"}):
        assert (await client.post(f"{PAGES}/{order_id}/pause", data=form)).status_code == 403

    assert (await order_of(client, user, order_id))["status"] == "PENDING"
    assert await audit_rows(database) == []


async def test_pages__without_a_session__303_to_sign_in(client: httpx.AsyncClient) -> None:
    for path in (PAGES, f"{PAGES}/1"):
        answer = await client.get(path)
        assert (answer.status_code, answer.headers["location"]) == (303, "/console/sign-in")
    assert (await client.post(f"{PAGES}/1/pause")).headers["location"] == "/console/sign-in"
