"""OAuth2 clients of the purchase API: registered once (`orderdesk clients add`), then known by
their id and a secret of which only a salted scrypt hash is kept (rules.secrets)."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.core.errors import InvalidInput
from orderdesk.core.text import has_control_characters
from orderdesk.core.webhook_signing import new_secret
from orderdesk.purchases import repository
from orderdesk.purchases.errors import ClientNotFound
from orderdesk.purchases.models import MAX_CLIENT_NAME, ClientListing, NewClient
from orderdesk.purchases.rules.secrets import check_secret, hash_secret

__all__ = [
    "check_secret",
    "client_name",
    "list_clients",
    "register_client",
    "revoke_client",
    "stored_secret_hash",
]


def client_name(name: str) -> str:
    """The name, trimmed; InvalidInput when it is empty, too long or holds a control character: the
    name is how an operator tells clients apart (and revokes one by it)."""
    trimmed = name.strip()
    if not trimmed or len(trimmed) > MAX_CLIENT_NAME or has_control_characters(trimmed):
        message = (
            f"A client name of 1 to {MAX_CLIENT_NAME} characters, without control characters, is required."
        )
        raise InvalidInput({"NAME": [message]})
    return trimmed


async def register_client(connection: AsyncConnection, name: str, now: datetime) -> NewClient:
    """A new client with a fresh id and secret, and a `whsec_` secret that signs its callbacks;
    InvalidInput for a bad name (`client_name`)."""
    name = client_name(name)
    client = NewClient(
        client_id=secrets.token_hex(16),
        client_secret=secrets.token_urlsafe(32),
        callback_signing_secret=new_secret(),
    )
    await repository.clients.insert_client(
        connection,
        client.client_id,
        name,
        hash_secret(client.client_secret),
        client.callback_signing_secret,
        now,
    )
    return client


async def list_clients(connection: AsyncConnection) -> list[ClientListing]:
    return await repository.clients.list_clients(connection)


async def revoke_client(connection: AsyncConnection, id_or_name: str, now: datetime) -> ClientListing:
    """Revoke the client with this id, or else the one client with this name: it gets no token from
    `/oauth/token` and places no order from now on (tokens it holds expire within their lifetime).
    Idempotent. ClientNotFound when none matches; InvalidInput when a name is shared by several (give
    the id)."""
    clients = await repository.clients.list_clients(connection)
    matches = [c for c in clients if c.client_id == id_or_name] or [
        c for c in clients if c.name == id_or_name
    ]
    if not matches:
        raise ClientNotFound()
    if len(matches) > 1:
        ids = ", ".join(c.client_id for c in matches)
        raise InvalidInput(
            {"NAME": [f"{len(matches)} clients are named {id_or_name!r} ({ids}); give the id."]}
        )
    await repository.clients.revoke_client(connection, matches[0].client_id, now)
    return next(
        c for c in await repository.clients.list_clients(connection) if c.client_id == matches[0].client_id
    )


async def stored_secret_hash(connection: AsyncConnection, client_id: str) -> str | None:
    """The hash of `client_id`'s secret; None when no such client is registered. Check a secret
    against it with `check_secret`, off the event loop (it runs scrypt)."""
    return await repository.clients.get_secret_hash(connection, client_id)
