"""Every request counted by the template of the route that served it (never the raw path: ids would
make a series each), its method and status, and timed."""

from __future__ import annotations

from starlette.types import Scope

from orderdesk.observability import metrics


def record_request(scope: Scope, status: int | None, seconds: float) -> None:
    """Read after the app ran: the router writes the matched route into the scope (a 405 names the
    route it partly matched). No response started counts as the 500 the server answers then."""
    route = getattr(scope.get("route"), "path", None) or metrics.UNMATCHED_ROUTE
    metrics.http_request(route, scope["method"], status or 500, seconds)
