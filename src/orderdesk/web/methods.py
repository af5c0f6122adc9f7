"""Which methods a path allows, over every route of the app: the `Allow` header of a 405, and a
wrong method on a fixed path answered 405 even where a parameter route would match the path.

Starlette answers a wrong method with the methods of the first route whose path matched, so a path
served by two routes (GET and POST of `/orders`) listed only one of them; and a parameter route
(`GET /orders/{id}`) matched `GET /orders/email` and answered 400 for a malformed id, where the path
names the fixed resource `POST /orders/email`. Here a fixed path takes precedence over parameter
routes, as in most routers, and `Allow` lists the methods of every route that serves the path.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, compile_path
from starlette.types import ASGIApp, Receive, Scope, Send


@dataclass(frozen=True, slots=True)
class RouteMethods:
    """The methods of every fixed path, and of every path pattern, of one app's routes."""

    fixed: dict[str, frozenset[str]] = field(default_factory=dict)
    patterns: list[tuple[re.Pattern[str], frozenset[str]]] = field(default_factory=list)

    @classmethod
    def of(cls, app: FastAPI) -> RouteMethods:
        table = cls()
        for path_format, regex, methods, has_parameters in _routes(app.routes):
            if has_parameters:
                table.patterns.append((regex, methods))
            else:
                table.fixed[path_format] = table.fixed.get(path_format, frozenset()) | methods
        return table

    def allowed(self, path: str) -> frozenset[str]:
        """The methods some route serves `path` with; empty when no route serves it."""
        if path in self.fixed:
            return self.fixed[path]
        allowed: frozenset[str] = frozenset()
        for regex, methods in self.patterns:
            if regex.match(path):
                allowed |= methods
        return allowed


def route_methods(app: FastAPI) -> RouteMethods:
    """The app's table, made on first use: routers are all included by then."""
    table: RouteMethods | None = getattr(app.state, "route_methods", None)
    if table is None:
        table = app.state.route_methods = RouteMethods.of(app)
    return table


def route_paths(app: FastAPI) -> Iterator[tuple[str, frozenset[str]]]:
    """Each route's full path (with its `{parameters}`) and methods, as the app serves them."""
    for path_format, _regex, methods, _has_parameters in _routes(app.routes):
        yield path_format, methods


def allow_header(methods: frozenset[str]) -> str:
    return ", ".join(sorted(methods))


def method_not_allowed(methods: frozenset[str]) -> HTTPException:
    return HTTPException(405, headers={"Allow": allow_header(methods)})


class FixedPathMethodsMiddleware:
    """Answers 405 with `Allow` for a method no route serves a fixed path with, before a parameter
    route can take the path for one of its ids. The answer is rendered by `render`, the app's own
    HTTP error handler, so each family keeps its error body."""

    def __init__(self, app: ASGIApp, render: Callable[[Request, Exception], Awaitable[Response]]) -> None:
        self.app = app
        self.render = render

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            allowed = route_methods(scope["app"]).fixed.get(scope["path"])
            if allowed is not None and scope["method"] not in allowed:
                response = await self.render(Request(scope, receive), method_not_allowed(allowed))
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _routes(
    routes: list[BaseRoute], prefix: str = ""
) -> Iterator[tuple[str, re.Pattern[str], frozenset[str], bool]]:
    """Each route's path, regex, methods and whether it has parameters.

    Recent FastAPI releases keep an included router whole (its `original_router` under the
    `include_context` prefix) and build each route's full state, dependencies and models included,
    only when asked; the paths and methods are read from the routers themselves here, so that the
    table costs no such build (it made each new app's first request take a few tenths of a second)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _routes(included.routes, prefix + route.include_context.prefix)  # type: ignore[attr-defined]
            continue
        methods = getattr(route, "methods", None)
        path = getattr(route, "path", None)
        if not methods or path is None:
            continue
        regex, path_format, convertors = compile_path(prefix + path)
        yield path_format, regex, frozenset(methods), bool(convertors)
