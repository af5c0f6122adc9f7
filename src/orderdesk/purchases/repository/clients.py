"""The queries of the purchase API's OAuth2 clients."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.purchases.tables import api_client


async def insert_client(
    connection: AsyncConnection, client_id: str, name: str, secret_hash: str, now: datetime
) -> None:
    await connection.execute(
        api_client.insert().values(client_id=client_id, name=name, secret_hash=secret_hash, created_at=now)
    )


async def client_exists(connection: AsyncConnection, client_id: str) -> bool:
    query = select(api_client.c.client_id).where(api_client.c.client_id == client_id)
    return (await connection.execute(query)).first() is not None


async def get_secret_hash(connection: AsyncConnection, client_id: str) -> str | None:
    """The hash of `client_id`'s secret; None when no such client is registered."""
    statement = select(api_client.c.secret_hash).where(api_client.c.client_id == client_id)
    row = (await connection.execute(statement)).first()
    return None if row is None else str(row.secret_hash)
