"""The console's dependencies: its settings, the session cookie and the rendering of its pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from importlib import resources
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from orderdesk.web.deps import part_of

PREFIX = "/console"
SESSION_COOKIE = "orderdesk_console"
SIGN_IN_COOKIE = "orderdesk_console_sign_in"
"""Holds the sign-in form's CSRF token (double submit): there is no session to keep it in yet."""
COOKIE_PATH = f"{PREFIX}/"

_HEADERS = {
    # Pages show who is signed in and, later, people's addresses: never cached, never framed.
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


@dataclass(frozen=True, slots=True)
class ConsoleParts:
    """What the console's routes use besides the shared parts, built once by `create_app`."""

    session_length: timedelta


async def get_console_parts(request: Request) -> ConsoleParts:
    return part_of(request, ConsoleParts)


@cache
def _templates() -> Environment:
    return Environment(
        loader=PackageLoader("orderdesk.console.api", "templates"),
        autoescape=select_autoescape(default=True),
        auto_reload=False,
    )


@cache
def style_sheet() -> bytes:
    return resources.files("orderdesk.console.api").joinpath("static", "console.css").read_bytes()


def page(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    """The template `name` rendered with `context`, as a page that is neither cached nor framed."""
    html = _templates().get_template(name).render(prefix=PREFIX, **context)
    return HTMLResponse(html, status_code=status, headers=_HEADERS)


def see_other(path: str) -> RedirectResponse:
    return RedirectResponse(f"{PREFIX}{path}", status_code=303, headers=_HEADERS)


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int | None) -> None:
    """HttpOnly (no script reads it), SameSite=Lax (no other site's form sends it) and, when the request
    came over https (directly, or through a proxy of ORDERDESK_SERVER_TRUSTED_PROXIES), Secure."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def clear_cookie(request: Request, response: Response, name: str) -> None:
    response.delete_cookie(
        name, path=COOKIE_PATH, httponly=True, samesite="lax", secure=request.url.scheme == "https"
    )
