"""Credentials read straight from the request headers, documented in OpenAPI as FastAPI's security
classes would document them.

FastAPI runs each `HTTPBearer` or `APIKeyHeader` as a dependency of its own, and solving a dependency
cost a status read about 30 µs of CPU time each: the two of the notification API were a tenth of the
request. A dependency marked with `documents_security` reads the headers itself, and
`add_security_to_openapi` puts the schemes it names into the document afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

from fastapi import FastAPI, Request, routing
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

_SCHEMES_ATTRIBUTE = "__orderdesk_security_schemes__"
Scheme = Mapping[str, Any]
"""An OpenAPI security scheme object: `{"type": "http", "scheme": "bearer", ...}`."""
F = TypeVar("F", bound=Callable[..., Any])


def bearer_scheme(description: str) -> Scheme:
    return {"type": "http", "scheme": "bearer", "description": description}


def header_scheme(header: str, description: str) -> Scheme:
    return {"type": "apiKey", "in": "header", "name": header, "description": description}


def documents_security(schemes: Mapping[str, Scheme]) -> Callable[[F], F]:
    """Mark a dependency as accepting any one of `schemes` (name → scheme), in this order."""

    def mark(dependency: F) -> F:
        setattr(dependency, _SCHEMES_ATTRIBUTE, dict(schemes))
        return dependency

    return mark


def bearer_token(request: Request) -> str | None:
    """The token of an `Authorization: Bearer …` header, read as HTTPBearer reads it; None without one."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def header_value(request: Request, header: str) -> str | None:
    """A header's value as APIKeyHeader reads it: None when missing or empty."""
    return request.headers.get(header) or None


def add_security_to_openapi(app: FastAPI, document: dict[str, Any]) -> dict[str, Any]:
    """Give every documented operation whose dependencies are marked the security requirement they
    accept, and the document the schemes they name."""
    paths: dict[str, Any] = document.get("paths", {})
    for path, route in _api_routes(app):
        if path not in paths:
            continue
        schemes: dict[str, Scheme] = {}
        for dependant in _dependants(route.dependant):
            schemes.update(getattr(dependant.call, _SCHEMES_ATTRIBUTE, {}))
        if not schemes:
            continue
        components = document.setdefault("components", {}).setdefault("securitySchemes", {})
        components.update(schemes)
        for method in route.methods or ():
            operation = paths[path].get(method.lower())
            if operation is not None:
                operation["security"] = [{name: []} for name in schemes]
    return document


def _api_routes(app: FastAPI) -> Iterator[tuple[str, APIRoute]]:
    """Each API route with its full path: recent FastAPI releases keep included routers whole and
    tell where their routes end up through route contexts."""
    iter_route_contexts = getattr(routing, "iter_route_contexts", None)
    if iter_route_contexts is None:
        for route in app.routes:
            if isinstance(route, APIRoute):
                yield route.path_format, route
        return
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and context.path_format is not None:
            yield context.path_format, route


def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for dependency in dependant.dependencies:
        yield from _dependants(dependency)
