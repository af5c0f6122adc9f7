"""The order a request is about, on every log line written while it is handled (`order_id`).

Bound in structlog's context variables, which are the request's own (each request runs in a task of
its own): the access log line and any line a service writes then carry it without being handed it.
"""

from __future__ import annotations

import structlog
from fastapi import Request

ORDER_ID_PARAMETERS = ("order_id", "orderId", "id")
"""Path parameters that name an order (`/shipment/{id}` is an order's shipment)."""


def bind_order_id(order_id: object) -> None:
    """Name the order this request (or task) is about in its log lines from now on."""
    structlog.contextvars.bind_contextvars(order_id=str(order_id))


async def bind_path_order_id(request: Request) -> None:
    """A dependency of every route: the order its path names, if it names one."""
    for name in ORDER_ID_PARAMETERS:
        value = request.path_params.get(name)
        if value is not None:
            bind_order_id(value)
            return
