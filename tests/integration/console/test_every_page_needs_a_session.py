"""Every console route, found in the app itself so that a page added later is covered too: without a
session a GET is sent to the sign-in page and a POST changes nothing (the same redirect); with an API
token instead of a session, the same."""

from __future__ import annotations

import re

import httpx

from orderdesk.app import create_app
from orderdesk.core.db import Database
from orderdesk.settings import Settings
from orderdesk.web.methods import route_paths

OPEN = {"/console/sign-in", "/console/static/console.css"}
"""Pages anyone may open: the sign-in form and the style sheet."""


def console_routes(settings: Settings, database: Database) -> list[tuple[str, str]]:
    routes = []
    for path_format, methods in route_paths(create_app(settings, database=database)):
        if path_format.startswith("/console") and path_format not in OPEN:
            # Any value for a path parameter: the session is checked before the parameter is read.
            path = re.sub(r"\{[^}]+\}", "1", path_format)
            routes += [(method, path) for method in sorted(methods - {"HEAD"})]
    return routes


async def test_every_console_route__without_a_session__sent_to_sign_in(
    client: httpx.AsyncClient, settings: Settings, database: Database
) -> None:
    routes = console_routes(settings, database)
    assert len(routes) > 20  # the whole console, not an empty list by mistake
    for method, path in routes:
        answer = await client.request(method, path, data={"csrf_token": "x"} if method == "POST" else None)
        assert answer.status_code == 303, (method, path, answer.status_code)
        assert answer.headers["location"] == "/console/sign-in", (method, path)


async def test_every_console_route__api_token_instead_of_a_session__sent_to_sign_in(
    client: httpx.AsyncClient, settings: Settings, database: Database, auth: dict[str, str]
) -> None:
    for method, path in console_routes(settings, database):
        answer = await client.request(method, path, headers=auth)
        assert answer.status_code == 303, (method, path, answer.status_code)
