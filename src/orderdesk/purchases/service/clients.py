"""OAuth2 clients of the purchase API: registered once (`orderdesk clients add`), then known by
their id and a secret of which only a salted scrypt hash is kept (rules.secrets)."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.purchases import repository
from orderdesk.purchases.models import MAX_CLIENT_NAME, NewClient
from orderdesk.purchases.rules.secrets import check_secret, hash_secret

__all__ = ["check_secret", "register_client", "stored_secret_hash"]


async def register_client(connection: AsyncConnection, name: str, now: datetime) -> NewClient:
    """A new client with a fresh id and secret; the name is cut to what the column holds."""
    client = NewClient(client_id=secrets.token_hex(16), client_secret=secrets.token_urlsafe(32))
    await repository.clients.insert_client(
        connection, client.client_id, name[:MAX_CLIENT_NAME], hash_secret(client.client_secret), now
    )
    return client


async def stored_secret_hash(connection: AsyncConnection, client_id: str) -> str | None:
    """The hash of `client_id`'s secret; None when no such client is registered. Check a secret
    against it with `check_secret`, off the event loop (it runs scrypt)."""
    return await repository.clients.get_secret_hash(connection, client_id)
