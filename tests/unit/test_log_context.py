"""Every route whose path names an order binds it to the request's log lines (`order_id`).

The binding is the route class of each family's routers (OrderLoggedRoute); a router made without it
would log its lines without the order, which no test of one route's log lines would notice."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi.routing import APIRoute
from starlette.routing import BaseRoute, compile_path

from orderdesk.app import create_app
from orderdesk.core.db import Database
from orderdesk.settings import Settings
from orderdesk.web.log_context import ORDER_ID_PARAMETERS, OrderLoggedRoute

SUBSCRIPTIONS = ("/notifications/api/v1/webhooks", "/api/v1/rs-order/user/webhooks")
"""Webhook subscriptions: their `{id}` names a subscription, not an order."""


def _api_routes(routes: list[BaseRoute], prefix: str = "") -> Iterator[tuple[str, APIRoute]]:
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _api_routes(included.routes, prefix + route.include_context.prefix)  # type: ignore[attr-defined]
        elif isinstance(route, APIRoute):
            yield prefix + route.path, route


def test_every_route_naming_an_order_binds_it(settings: Settings, database: Database) -> None:
    app = create_app(settings, database=database)
    naming_an_order = [
        (path, route)
        for path, route in _api_routes(app.router.routes)
        if set(compile_path(path)[2]) & set(ORDER_ID_PARAMETERS) and not path.startswith(SUBSCRIPTIONS)
    ]
    assert len(naming_an_order) > 20
    assert [path for path, route in naming_an_order if not isinstance(route, OrderLoggedRoute)] == []
