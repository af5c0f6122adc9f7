"""Choosing a request's route by the literal start of each route's path, in front of FastAPI's walk.

FastAPI (0.165) routes a request by asking each included router in turn whether one of its routes
matches, then asks the router that said yes to find the route again and handle it: every family's
routes ahead of the chosen one are tried, the chosen family's twice. For a status read that was
about a sixth of the request's CPU time. The index flattens the inclusion tree once into its routes,
in FastAPI's own order, each with the literal text its path begins with; a request tries only the
routes whose literal start its path has, and the first full match is the route FastAPI would have
chosen (a route matches only paths that begin with its literal start).

Only that case is handled here, for API routes: a request matching no route fully (404, 405, a
slash to redirect), one whose first full match is not an API route (documentation, static files) and
every non-HTTP scope go through FastAPI's own walk, unchanged. The hand-over repeats the scope
updates FastAPI's walk makes; it needs FastAPI's private routing helpers, and without them (another
FastAPI) the index is not installed and FastAPI routes alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import structlog
from fastapi import FastAPI
from fastapi.routing import APIRoute, APIRouter
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Receive, Scope, Send

try:
    from fastapi.routing import (
        _FASTAPI_EFFECTIVE_ROUTE_CONTEXT_KEY,
        _FASTAPI_INCLUDED_ROUTER_KEY,
        _apply_router_form_limits,
        _EffectiveRouteContext,
        _get_fastapi_scope,
        _IncludedRouter,
        _update_scope,
    )
    from fastapi.telemetry._api import _route_selected
    from starlette._utils import get_route_path
except ImportError:  # pragma: no cover - another FastAPI: install() says so and leaves routing alone
    AVAILABLE = False
else:
    AVAILABLE = True

_log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class _Leaf:
    """One route of the flattened tree."""

    head: str
    """The literal text every path the route matches begins with."""
    segment: str | None
    """The first segment of every path it matches, when its literal start holds all of it."""
    route: Any
    """FastAPI's effective context of an included API route (handled here), or any other route."""
    inclusions: tuple[Any, ...] = ()
    """The included routers it sits in, outermost first; empty for any route left to FastAPI."""


def _leaf(path_format: str, route: Any, inclusions: tuple[Any, ...] = ()) -> _Leaf:
    head = path_format.split("{", 1)[0]
    first = _first_segment(head)
    whole = bool(first) and ("/" in head[1:] or head == path_format)
    return _Leaf(head, first if whole else None, route, inclusions)


def _first_segment(path: str) -> str:
    return path[1:].split("/", 1)[0]


def _leaves(routes: Iterable[Any], inclusions: tuple[Any, ...] = ()) -> Iterator[_Leaf]:
    """Every route under `routes`, depth first: FastAPI's order of trying them."""
    for route in routes:
        if isinstance(route, _IncludedRouter):
            yield from _leaves(route.effective_candidates(), (*inclusions, route))
        elif isinstance(route, _EffectiveRouteContext) and isinstance(route.original_route, APIRoute):
            yield _leaf(route.path_format, route, inclusions)
        else:
            shown = getattr(route, "starlette_route", None) or route
            yield _leaf(getattr(shown, "path_format", "") or "", route)


class RouteIndex:
    """The router's ASGI entry: the indexed look-up first, FastAPI's walk for everything else."""

    def __init__(self, router: APIRouter) -> None:
        self._router = router
        self._walk: ASGIApp = router.app
        self._buckets: dict[str, tuple[_Leaf, ...]] | None = None
        self._anywhere: tuple[_Leaf, ...] = ()

    def _build(self) -> dict[str, tuple[_Leaf, ...]]:
        """Routes by the first segment of the paths they match; a route whose literal start does not
        hold a whole first segment (`/`, `/{id}`, `/files-{name}`) is in every bucket, in its place."""
        leaves = list(_leaves(self._router.routes))
        self._anywhere = tuple(leaf for leaf in leaves if leaf.segment is None)
        segments = {leaf.segment for leaf in leaves if leaf.segment is not None}
        self._buckets = {
            segment: tuple(leaf for leaf in leaves if leaf.segment in (segment, None)) for segment in segments
        }
        return self._buckets

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._walk(scope, receive, send)
            return
        buckets = self._buckets if self._buckets is not None else self._build()
        path = get_route_path(scope)
        for leaf in buckets.get(_first_segment(path), self._anywhere):
            if not path.startswith(leaf.head):
                continue
            match, child_scope = leaf.route.matches(scope)
            if match is not Match.FULL:
                continue
            if leaf.inclusions:
                await self._handle(leaf, child_scope, scope, receive, send)
                return
            break
        await self._walk(scope, receive, send)

    async def _handle(
        self, leaf: _Leaf, child_scope: Scope, scope: Scope, receive: Receive, send: Send
    ) -> None:
        """What FastAPI's walk does between choosing an included API route and handling it."""
        _apply_router_form_limits(scope, self._router.form_limits)
        scope.setdefault("router", self._router)
        for inclusion in leaf.inclusions:
            _apply_router_form_limits(scope, inclusion.include_context.form_limits)
        fastapi_scope = _get_fastapi_scope(scope)
        fastapi_scope[_FASTAPI_INCLUDED_ROUTER_KEY] = leaf.inclusions[-1]
        context = leaf.route
        route: BaseRoute = context.original_route
        child_scope["route"] = route
        _update_scope(scope, child_scope)
        _route_selected(scope=scope, path=context.path_format)
        fastapi_scope[_FASTAPI_EFFECTIVE_ROUTE_CONTEXT_KEY] = context
        await route.handle(scope, receive, send)


def install(app: FastAPI) -> bool:
    """Route `app`'s requests through a RouteIndex; False (logged) when it cannot be: FastAPI's
    private routing helpers are missing, or the router has middleware of its own in front."""
    router = app.router
    if not AVAILABLE or router.middleware_stack != router.app:
        _log.warning("route_index_not_installed", fastapi_helpers=AVAILABLE)
        return False
    router.middleware_stack = RouteIndex(router)
    return True
