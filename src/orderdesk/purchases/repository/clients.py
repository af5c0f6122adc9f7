"""The queries of the purchase API's OAuth2 clients."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.purchases.models import ClientListing
from orderdesk.purchases.tables import api_client

_ACTIVE = api_client.c.revoked_at.is_(None)


async def insert_client(
    connection: AsyncConnection,
    client_id: str,
    name: str,
    secret_hash: str,
    callback_signing_secret: str,
    now: datetime,
) -> None:
    await connection.execute(
        api_client.insert().values(
            client_id=client_id,
            name=name,
            secret_hash=secret_hash,
            callback_signing_secret=callback_signing_secret,
            created_at=now,
        )
    )


async def client_exists(connection: AsyncConnection, client_id: str) -> bool:
    """Whether `client_id` is registered and not revoked."""
    query = select(api_client.c.client_id).where(api_client.c.client_id == client_id, _ACTIVE)
    return (await connection.execute(query)).first() is not None


async def get_secret_hash(connection: AsyncConnection, client_id: str) -> str | None:
    """The hash of `client_id`'s secret; None when no such client is registered, or it is revoked."""
    statement = select(api_client.c.secret_hash).where(api_client.c.client_id == client_id, _ACTIVE)
    row = (await connection.execute(statement)).first()
    return None if row is None else str(row.secret_hash)


async def list_clients(connection: AsyncConnection) -> list[ClientListing]:
    """Every client, revoked ones too, oldest first."""
    client = api_client.c
    rows = await connection.execute(
        select(client.client_id, client.name, client.created_at, client.revoked_at).order_by(
            client.created_at, client.client_id
        )
    )
    return [ClientListing(row.client_id, row.name, row.created_at, row.revoked_at) for row in rows]


async def revoke_client(connection: AsyncConnection, client_id: str, now: datetime) -> None:
    """Set the client's revocation time, unless it is revoked already (the first time is kept)."""
    await connection.execute(
        api_client.update().where(api_client.c.client_id == client_id, _ACTIVE).values(revoked_at=now)
    )
