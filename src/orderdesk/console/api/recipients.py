"""The console's recipient look-up for support: every notification, of every creator, to one e-mail
address, mobile number, national identity number or organisation number, newest send time first, a page
at a time, each linking to its order's page."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from fastapi.responses import Response

from orderdesk.console import paging
from orderdesk.console.api import query
from orderdesk.console.api.deps import page
from orderdesk.console.api.guard import OperatorDep, bad_request
from orderdesk.core.errors import InvalidInput
from orderdesk.notifications.models import Channel
from orderdesk.notifications.repository.shipments import FoundKey, found_key
from orderdesk.notifications.rules.lookup import Addressee, AddresseeKind, addressee
from orderdesk.notifications.rules.shipments import RecipientNotification
from orderdesk.notifications.service import browse
from orderdesk.web.deps import DatabaseDep

router = APIRouter(prefix="/console")

MAX_QUERY_LENGTH = 320
"""The longest e-mail address; every other identifier is shorter."""


@router.get("/recipients")
async def get_recipients(
    session: OperatorDep,
    database: DatabaseDep,
    email: str | None = None,
    phone: str | None = None,
    nin: str | None = None,
    org: str | None = None,
    cursor: str | None = None,
) -> Response:
    """The look-up form, and with one of its fields filled in the notifications found; 400 naming the
    field when its value is not an identifier of its kind, or when more than one is filled in."""
    given = {
        AddresseeKind.EMAIL: email,
        AddresseeKind.MOBILE_NUMBER: phone,
        AddresseeKind.NATIONAL_IDENTITY_NUMBER: nin,
        AddresseeKind.ORGANIZATION_NUMBER: org,
    }
    try:
        who = _addressee(given)
        after = query.cursor_key(cursor, (datetime, str, str), _found_key)
    except InvalidInput as error:
        return bad_request(error, session)
    typed = {kind.value: value or "" for kind, value in given.items()}
    if who is None:
        return page("recipients.html", session=session, given=typed, found=None)
    async with database.read() as connection:
        rows = await browse.find_notifications_to(connection, who, after=after, limit=paging.PAGE_SIZE + 1)
    found = paging.paged(rows, paging.PAGE_SIZE, _cursor_of)
    filters = {kind.value: value for kind, value in given.items()}
    return page(
        "recipients.html",
        session=session,
        given=typed,
        found=found.items,
        pager=query.pager("/recipients", filters, cursor=cursor, next_cursor=found.next_cursor),
    )


def _addressee(given: dict[AddresseeKind, str | None]) -> Addressee | None:
    """The one addressee the form names; None when it names none."""
    filled: dict[AddresseeKind, str] = {}
    for kind, value in given.items():
        text = query.text(kind.value, value, MAX_QUERY_LENGTH)
        if text is not None:
            filled[kind] = text
    if len(filled) > 1:
        raise InvalidInput({kind.value: ["Fill in one field only."] for kind in filled})
    return next((addressee(kind, value) for kind, value in filled.items()), None)


def _found_key(key: paging.Key) -> FoundKey:
    send_time, channel, notification_id = key
    if not isinstance(send_time, datetime):
        raise ValueError(send_time)
    return send_time, Channel(str(channel)), query.uuid_of(notification_id)


def _cursor_of(item: RecipientNotification) -> paging.Key:
    send_time, channel, notification_id = found_key(item)
    return send_time, channel.value, str(notification_id)
