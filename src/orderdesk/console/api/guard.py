"""Who may see a console page and who may act: the dependencies every page and every form uses.

A page needs a signed-in operator who has chosen their password (otherwise 303 to the sign-in page,
or to choosing a password). A form that changes something needs, besides, the session's CSRF token
and the admin role: a viewer's POST, or one without the token, is 403 and changes nothing."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.datastructures import FormData

from orderdesk.console import service
from orderdesk.console.api.deps import SESSION_COOKIE, page, see_other
from orderdesk.console.models import Role, Session
from orderdesk.core.db import Database
from orderdesk.web.deps import DatabaseDep, NowDep

CSRF_FIELD = "csrf_token"


class PageInterrupted(Exception):
    """Raised by a dependency to answer with `response` instead of the page (a redirect, a refusal)."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


async def answer_interrupted(_request: Request, error: Exception) -> Response:
    """The app's handler of PageInterrupted."""
    assert isinstance(error, PageInterrupted)
    return error.response


def refused(message: str, session: Session | None = None, status: int = 403) -> Response:
    return page("message.html", status, title="Refused", message=message, session=session)


def forged() -> Response:
    return refused("The form's security token is missing or wrong. Reload the page and try again.")


def same_token(given: str | None, expected: str | None) -> bool:
    return bool(given) and bool(expected) and hmac.compare_digest(str(given), str(expected))


def text_fields(form: FormData) -> dict[str, str]:
    """The form's text fields (a file field is ignored, as a missing field would be)."""
    return {key: value for key, value in form.items() if isinstance(value, str)}


async def request_session(
    connection: AsyncConnection, request: Request, now: datetime
) -> tuple[str, Session] | None:
    """The cookie's token and its unexpired session, or None."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    session = await service.session_of(connection, token, now)
    return None if session is None else (token, session)


async def signed_in(database: Database, request: Request, now: datetime) -> tuple[str, Session] | None:
    """The request's session for a page that only shows: one read outside a transaction, none
    without a cookie."""
    if not request.cookies.get(SESSION_COOKIE):
        return None
    async with database.read() as connection:
        return await request_session(connection, request, now)


async def signed_in_operator(request: Request, database: DatabaseDep, now: NowDep) -> Session:
    """The session of a page's request; 303 to the sign-in page without one, to choosing a password
    while the operator still has a one-time password."""
    found = await signed_in(database, request, now)
    if found is None:
        raise PageInterrupted(see_other("/sign-in"))
    session = found[1]
    if session.operator.must_choose_password:
        raise PageInterrupted(see_other("/password"))
    return session


OperatorDep = Annotated[Session, Depends(signed_in_operator)]


@dataclass(frozen=True, slots=True)
class AdminForm:
    """A form an admin sent: their session and the form's text fields (CSRF token checked)."""

    session: Session
    fields: dict[str, str]


async def admin_form(request: Request, session: OperatorDep) -> AdminForm:
    """The form of an admin action: 403 without the session's CSRF token, 403 for a viewer."""
    fields = text_fields(await request.form())
    if not same_token(fields.get(CSRF_FIELD), session.csrf_token):
        raise PageInterrupted(forged())
    if session.operator.role is not Role.ADMIN:
        raise PageInterrupted(refused("Viewers see everything and change nothing.", session))
    return AdminForm(session, fields)


AdminFormDep = Annotated[AdminForm, Depends(admin_form)]
