"""The API clients page: the purchase API's OAuth2 clients, listed as `orderdesk clients list` prints
them, added (the secret shown once, on the answer) and revoked by an admin, through the same service
functions the CLI calls, each action written to the audit trail in its own transaction."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.console import service
from orderdesk.console.api.deps import page, see_other
from orderdesk.console.api.guard import AdminFormDep, OperatorDep
from orderdesk.console.api.refusals import Done, audited_refusal, messages_of
from orderdesk.console.models import Role, Session, TargetKind
from orderdesk.core.db import Database
from orderdesk.core.errors import InvalidInput
from orderdesk.purchases.models import MAX_CLIENT_NAME
from orderdesk.purchases.service.clients import list_clients, register_client, revoke_client
from orderdesk.web.deps import DatabaseDep, NowDep
from orderdesk.web.log_context import OrderLoggedRoute

router = APIRouter(prefix="/console", route_class=OrderLoggedRoute)


async def _clients_page(
    database: Database, session: Session, status: int = 200, errors: list[str] | None = None, typed: str = ""
) -> Response:
    """Every client, oldest first: they are registered by hand, a few per installation, so the page
    shows them all, as the CLI does."""
    async with database.read() as connection:
        clients = await list_clients(connection)
    return page(
        "clients.html",
        status,
        session=session,
        is_admin=session.operator.role is Role.ADMIN,
        clients=clients,
        errors=errors or [],
        typed=typed,
        max_name=MAX_CLIENT_NAME,
    )


@router.get("/clients")
async def get_clients(session: OperatorDep, database: DatabaseDep) -> Response:
    return await _clients_page(database, session)


@router.post("/clients")
async def post_client(form: AdminFormDep, database: DatabaseDep, now: NowDep) -> Response:
    """A page with the new client's id and secret (the only time the secret is shown); 400 naming
    what is wrong with the name (empty, too long, a control character). Names may repeat, as with the
    CLI: the console revokes by id."""
    name = form.fields.get("name", "")
    try:
        async with database.transaction() as connection:
            client = await register_client(connection, name, now)
            target = (TargetKind.API_CLIENT.value, client.client_id)
            await service.record_action(connection, form.session, "add", target, now, {"name": name.strip()})
    except InvalidInput as error:
        return await _clients_page(database, form.session, 400, messages_of(error, naming_fields=False), name)
    return page("client_added.html", session=form.session, client=client, client_name=name.strip())


@router.post("/clients/{client_id}/revoke")
async def post_revoke_client(
    client_id: str, form: AdminFormDep, database: DatabaseDep, now: NowDep
) -> Response:
    """303 back to the list, where the client shows as revoked; 404 for an unknown client. Revoking a
    revoked client changes nothing and writes no audit entry."""

    async def revoke(connection: AsyncConnection) -> Done | None:
        revoked = await revoke_client(connection, client_id, now)
        if revoked.revoked_at != now:
            return None
        return Done((TargetKind.API_CLIENT.value, revoked.client_id), {"name": revoked.name})

    refusal = await audited_refusal(database, form, "revoke", now, revoke)
    if refusal is not None:
        messages = messages_of(refusal, naming_fields=False)
        return await _clients_page(database, form.session, refusal.status, messages)
    return see_other("/clients")
