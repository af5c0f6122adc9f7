"""The audit page: every admin action taken in the console, newest first, keyset-paged, filtered by
operator and by target; each target links to its console page."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter
from fastapi.responses import Response

from orderdesk.console import rules, service
from orderdesk.console.api.deps import PREFIX, page
from orderdesk.console.api.guard import OperatorDep
from orderdesk.console.api.refusals import messages_of
from orderdesk.console.models import TargetKind
from orderdesk.core.errors import InvalidInput
from orderdesk.web.deps import DatabaseDep
from orderdesk.web.log_context import OrderLoggedRoute

router = APIRouter(prefix="/console", route_class=OrderLoggedRoute)

_TARGET_PAGES = {
    TargetKind.NOTIFICATION_ORDER: "/orders/{}",
    TargetKind.DATA_ORDER: "/data-orders/{}",
    TargetKind.PURCHASE_ORDER: "/purchases/{}",
    TargetKind.API_CLIENT: "/clients#client-{}",
}


def target_path(kind: str, target_id: str) -> str | None:
    """The console page of an entry's target; None for a kind that has none."""
    pattern = _TARGET_PAGES.get(TargetKind(kind)) if kind in set(TargetKind) else None
    return None if pattern is None else PREFIX + pattern.format(quote(target_id, safe=""))


@router.get("/audit")
async def get_audit(
    session: OperatorDep,
    database: DatabaseDep,
    operator: str = "",
    target_kind: str = "",
    target_id: str = "",
    cursor: str = "",
) -> Response:
    """A page of the trail, newest first; 400 naming a filter or a cursor that is wrong."""
    form = {"operator": operator, "target_kind": target_kind, "target_id": target_id}
    context: dict[str, Any] = {
        "session": session,
        "form": form,
        "target_kinds": list(TargetKind),
        "target_path": target_path,
    }
    try:
        wanted = rules.audit_filter(operator, target_kind, target_id)
        async with database.read() as connection:
            trail = await service.audit_trail(connection, wanted, cursor)
    except InvalidInput as error:
        return page("audit.html", 400, errors=messages_of(error, naming_fields=False), page=None, **context)
    shown = {key: value for key, value in form.items() if value}
    next_query = urlencode({**shown, "cursor": trail.next_cursor or ""})
    return page("audit.html", page=trail, next_query=next_query, errors=[], **context)
