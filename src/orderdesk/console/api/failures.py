"""The failures page: notifications that failed, by reason; delivery reports that could not be
applied; purchase callbacks that fail; data-order files in error. Each links to its order's page, and
each kind has a list of its own, paged with a cursor."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from orderdesk.console.api.deps import page
from orderdesk.console.api.guard import OperatorDep
from orderdesk.console.api.inputs import choice, number_key, time_id_key
from orderdesk.console.api.lists import PageLinks, page_links, read_page
from orderdesk.console.api.refusals import refused_as_page
from orderdesk.console.models import Session
from orderdesk.console.paging import Page
from orderdesk.core.errors import InvalidInput
from orderdesk.dataorders.service import listing as data_listing
from orderdesk.notifications.models import (
    EMAIL_STATUS_DESCRIPTIONS,
    SMS_STATUS_DESCRIPTIONS,
    Channel,
    EmailStatus,
    NotificationStatus,
)
from orderdesk.notifications.service import failures
from orderdesk.purchases.service import listing as purchase_listing
from orderdesk.web.deps import DatabaseDep
from orderdesk.web.log_context import OrderLoggedRoute

router = APIRouter(prefix="/console", route_class=OrderLoggedRoute)

SUMMARY_ROWS = 10
"""The newest of each kind the failures page shows; its own list shows them all."""
COUNT_CAP = 10_000
"""Failed notifications are counted per reason up to this many (an index range that long at most);
past it the page says "more than"."""


def describe(status: NotificationStatus) -> str:
    """What the API's documentation says the status means."""
    if isinstance(status, EmailStatus):
        return EMAIL_STATUS_DESCRIPTIONS[status]
    return SMS_STATUS_DESCRIPTIONS[status]


@router.get("/failures")
async def get_failures(session: OperatorDep, database: DatabaseDep) -> Response:
    """Failed notifications counted per channel and reason, and the newest of each other kind."""
    async with database.transaction() as connection:
        tallies = await failures.count_failures(connection, COUNT_CAP)
        dead = await failures.list_dead_letters(connection, None, SUMMARY_ROWS)
        callbacks = await purchase_listing.list_failing_callbacks(connection, None, SUMMARY_ROWS)
        files = await data_listing.files_in_error(connection, None, SUMMARY_ROWS)
    return page(
        "failures.html",
        session=session,
        tallies=tallies,
        describe=describe,
        dead=dead,
        callbacks=callbacks,
        files=files,
    )


@router.get("/failures/notifications")
async def get_failed_notifications(
    session: OperatorDep, database: DatabaseDep, channel: str = "", reason: str = "", cursor: str = ""
) -> Response:
    """The notifications of one channel that failed for one reason (`Failed_…`), newest first."""
    with refused_as_page(session):
        chosen = choice(channel, list(Channel), "channel")
        status = choice(reason, chosen.failures, "reason") if chosen else None
        if chosen is None or status is None:
            raise InvalidInput({"reason": ["Choose a channel and a reason from the failures page."]})
        after = time_id_key(cursor)
    listed = await read_page(
        database,
        lambda connection, limit: failures.list_failed_notifications(
            connection, chosen, status, after, limit
        ),
        lambda item: (item.status_changed_at, str(item.id)),
    )
    links = page_links(listed, cursor, "/failures/notifications", channel=chosen, reason=status)
    title = f"Failed notifications: {status.value}"
    return _failure_list(
        session, title, "failed_notifications", listed, links, chosen.value, describe(status)
    )


@router.get("/failures/delivery-reports")
async def get_dead_letters(session: OperatorDep, database: DatabaseDep, cursor: str = "") -> Response:
    """Delivery reports that could not be applied, newest first."""
    with refused_as_page(session):
        after = number_key(cursor)
    listed = await read_page(
        database,
        lambda connection, limit: failures.list_dead_letters(connection, after, limit),
        lambda kept: (kept.id,),
    )
    links = page_links(listed, cursor, "/failures/delivery-reports")
    return _failure_list(session, "Delivery reports that could not be applied", "dead_letters", listed, links)


@router.get("/failures/callbacks")
async def get_failing_callbacks(session: OperatorDep, database: DatabaseDep, cursor: str = "") -> Response:
    """Purchase orders whose last callback call failed, newest order first."""
    with refused_as_page(session):
        after = number_key(cursor)
    listed = await read_page(
        database,
        lambda connection, limit: purchase_listing.list_failing_callbacks(connection, after, limit),
        lambda order: (order.order_id,),
    )
    links = page_links(listed, cursor, "/failures/callbacks")
    return _failure_list(session, "Purchase callbacks that fail", "failing_callbacks", listed, links)


@router.get("/failures/data-files")
async def get_files_in_error(session: OperatorDep, database: DatabaseDep, cursor: str = "") -> Response:
    """Data-order files that failed to stage or to download, newest first."""
    with refused_as_page(session):
        after = time_id_key(cursor)
    listed = await read_page(
        database,
        lambda connection, limit: data_listing.files_in_error(connection, after, limit),
        lambda owned: (owned.file.state_changed_at, str(owned.file.id)),
    )
    links = page_links(listed, cursor, "/failures/data-files")
    return _failure_list(session, "Data-order files in error", "files_in_error", listed, links)


def _failure_list(
    session: Session, title: str, table: str, listed: Page[Any], links: PageLinks, *about: str
) -> Response:
    """A page of one kind of failure: `table` is its macro in failure_tables.html, the one the
    failures page shows its newest in; `about` says more of the kind, after the link back."""
    return page(
        "failure_list.html",
        session=session,
        title=title,
        table=table,
        items=listed.items,
        links=links,
        about=about,
    )
