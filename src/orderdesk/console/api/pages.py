"""The console's pages: sign-in, choosing a password and sign-out.

Every form carries a CSRF token: the session's, or before sign-in the one in the sign-in cookie. A
POST without it, or with another, is 403 and changes nothing."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from orderdesk.console import rules, service
from orderdesk.console.api.deps import (
    SESSION_COOKIE,
    SIGN_IN_COOKIE,
    ConsoleParts,
    clear_cookie,
    get_console_parts,
    page,
    see_other,
    set_cookie,
    style_sheet,
)
from orderdesk.console.api.guard import (
    CSRF_FIELD,
    forged,
    request_session,
    same_token,
    signed_in,
    text_fields,
)
from orderdesk.console.api.refusals import messages_of
from orderdesk.console.errors import SignInThrottled
from orderdesk.console.models import MIN_PASSWORD_LENGTH, THROTTLE_WINDOW, Session
from orderdesk.core.errors import InvalidInput
from orderdesk.core.text import has_control_characters
from orderdesk.web.deps import DatabaseDep, NowDep
from orderdesk.web.log_context import OrderLoggedRoute

router = APIRouter(prefix="/console", route_class=OrderLoggedRoute)
ConsolePartsDep = Annotated[ConsoleParts, Depends(get_console_parts)]
WRONG_SIGN_IN = "The e-mail address or the password is wrong."


async def _form(request: Request) -> dict[str, str]:
    return text_fields(await request.form())


@router.get("/static/console.css")
async def get_style_sheet() -> Response:
    return Response(style_sheet(), media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})


@router.get("/sign-in")
async def get_sign_in(request: Request, database: DatabaseDep, now: NowDep) -> Response:
    if await signed_in(database, request, now) is not None:
        return see_other("/")
    return _sign_in_page(request)


def _sign_in_page(request: Request, status: int = 200, error: str | None = None, email: str = "") -> Response:
    """The sign-in form, with the CSRF token of the sign-in cookie (a new one when there is none)."""
    token = request.cookies.get(SIGN_IN_COOKIE) or rules.csrf_token()
    response = page("sign_in.html", status, csrf_token=token, error=error, email=email)
    set_cookie(request, response, SIGN_IN_COOKIE, token, max_age=None)
    return response


@router.post("/sign-in")
async def post_sign_in(
    request: Request, database: DatabaseDep, now: NowDep, parts: ConsolePartsDep
) -> Response:
    """303 to the overview (or to choosing a password) with a session cookie; 400 without an address
    or a password; 401 when either is wrong; 429 while sign-ins are throttled; 403 without the form's
    CSRF token."""
    form = await _form(request)
    if not same_token(form.get(CSRF_FIELD), request.cookies.get(SIGN_IN_COOKIE)):
        return forged()
    email, password = form.get("email", "").strip(), form.get("password", "")
    if not email or not password:
        return _sign_in_page(request, 400, "Both the e-mail address and the password are required.", email)
    if has_control_characters(email):  # no operator's address has one; PostgreSQL refuses a NUL
        return _sign_in_page(request, 401, WRONG_SIGN_IN, email)
    address = request.client.host if request.client else "unknown"
    try:
        async with database.transaction() as connection:
            opened = await service.sign_in(connection, email, password, address, now, parts.session_length)
    except SignInThrottled as error:
        minutes = int(THROTTLE_WINDOW.total_seconds() // 60)
        return _sign_in_page(
            request, 429, f"{error.message} Sign-ins reopen within {minutes} minutes.", email
        )
    if opened is None:
        return _sign_in_page(request, 401, WRONG_SIGN_IN, email)
    response = see_other("/password" if opened.session.operator.must_choose_password else "/")
    set_cookie(request, response, SESSION_COOKIE, opened.token, int(parts.session_length.total_seconds()))
    clear_cookie(request, response, SIGN_IN_COOKIE)
    return response


@router.get("/password")
async def get_password(request: Request, database: DatabaseDep, now: NowDep) -> Response:
    found = await signed_in(database, request, now)
    if found is None:
        return see_other("/sign-in")
    return _password_page(found[1])


def _password_page(session: Session, status: int = 200, errors: list[str] | None = None) -> Response:
    return page(
        "password.html",
        status,
        session=session,
        csrf_token=session.csrf_token,
        errors=errors or [],
        min_length=MIN_PASSWORD_LENGTH,
    )


@router.post("/password")
async def post_password(request: Request, database: DatabaseDep, now: NowDep) -> Response:
    """303 to the overview once the password is set; 400 naming what is wrong with it; 403 without the
    session's CSRF token; 303 to the sign-in page without a session."""
    form = await _form(request)
    async with database.transaction() as connection:
        signed_in = await request_session(connection, request, now)
        if signed_in is None:
            return see_other("/sign-in")
        token, session = signed_in
        if not same_token(form.get(CSRF_FIELD), session.csrf_token):
            return forged()
        try:
            await service.choose_password(
                connection,
                token,
                session,
                current=form.get("current", ""),
                password=form.get("password", ""),
                repeated=form.get("repeated", ""),
            )
        except InvalidInput as error:
            return _password_page(session, 400, messages_of(error, naming_fields=False))
    return see_other("/")


@router.post("/sign-out")
async def post_sign_out(request: Request, database: DatabaseDep, now: NowDep) -> Response:
    """Ends the session (its cookie opens nothing any more) and 303 to the sign-in page; 403 without the
    session's CSRF token."""
    form = await _form(request)
    async with database.transaction() as connection:
        signed_in = await request_session(connection, request, now)
        if signed_in is not None:
            token, session = signed_in
            if not same_token(form.get(CSRF_FIELD), session.csrf_token):
                return forged()
            await service.sign_out(connection, token)
    response = see_other("/sign-in")
    clear_cookie(request, response, SESSION_COOKIE)
    return response
