"""The recipient look-up for support: every notification, of every creator, to one e-mail address,
mobile number, national identity number or organisation number, newest send time first, a page at a
time, each linking to its order's page."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from orderdesk.console.api.deps import page
from orderdesk.console.api.guard import OperatorDep
from orderdesk.console.api.inputs import in_cursor, text_filter, time_text_id_key
from orderdesk.console.api.lists import page_links, read_page
from orderdesk.console.api.refusals import refused_as_page
from orderdesk.core.errors import InvalidInput
from orderdesk.notifications.models import Channel
from orderdesk.notifications.rules.lookup import Addressee, AddresseeKind, addressee
from orderdesk.notifications.service import browse
from orderdesk.web.deps import DatabaseDep
from orderdesk.web.log_context import OrderLoggedRoute

router = APIRouter(prefix="/console", route_class=OrderLoggedRoute)

MAX_QUERY_LENGTH = 320
"""The longest e-mail address; every other identifier is shorter."""


@router.get("/recipients")
async def get_recipients(
    session: OperatorDep,
    database: DatabaseDep,
    email: str = "",
    phone: str = "",
    nin: str = "",
    org: str = "",
    cursor: str = "",
) -> Response:
    """The look-up form and, with one of its fields filled in, the notifications to whom it names; 400
    naming the field when its value is not an identifier of its kind, or when more than one is given."""
    given = {
        AddresseeKind.EMAIL: email,
        AddresseeKind.MOBILE_NUMBER: phone,
        AddresseeKind.NATIONAL_IDENTITY_NUMBER: nin,
        AddresseeKind.ORGANIZATION_NUMBER: org,
    }
    typed = {kind.value: value for kind, value in given.items()}
    with refused_as_page(session):
        who = _addressee(given)
        key = time_text_id_key(cursor)
        after = None if key is None else (key[0], in_cursor(Channel, key[1]), key[2])
    if who is None:
        return page("recipients.html", session=session, typed=typed, found=None)
    listed = await read_page(
        database,
        lambda connection, limit: browse.find_notifications_to(connection, who, after=after, limit=limit),
        lambda item: (item.requested_send_time, item.channel.value, str(item.notification_id)),
    )
    return page(
        "recipients.html",
        session=session,
        typed=typed,
        found=listed.items,
        links=page_links(listed, cursor, "/recipients", **typed),
    )


def _addressee(given: dict[AddresseeKind, str]) -> Addressee | None:
    """The one addressee the form names; None when it names none."""
    filled: dict[AddresseeKind, str] = {}
    for kind, value in given.items():
        text = text_filter(value, kind.value, MAX_QUERY_LENGTH)
        if text is not None:
            filled[kind] = text
    if len(filled) > 1:
        raise InvalidInput({kind.value: ["Fill in one field only."] for kind in filled})
    return next((addressee(kind, value) for kind, value in filled.items()), None)
