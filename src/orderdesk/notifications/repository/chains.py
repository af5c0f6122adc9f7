"""The statements of order chains: claiming an idempotency id with the chain it names, and reading back
the answer a chain was registered with."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.core.db import insert_for
from orderdesk.notifications.models import ChainKind, Creator
from orderdesk.notifications.tables import notification_order_chain


async def insert_chain(
    connection: AsyncConnection,
    *,
    chain_id: UUID,
    creator: Creator,
    kind: ChainKind,
    idempotency_id: str,
    created: datetime,
    receipt: dict[str, Any],
    dialog_id: str | None = None,
    transmission_id: str | None = None,
) -> bool:
    """Store the chain under its idempotency id; False, storing nothing, if the creator already has a
    chain of this kind under that id. The unique key decides, not a read before the write: on
    PostgreSQL a concurrent insert of the same id waits for the first to commit or roll back."""
    statement = (
        insert_for(connection, notification_order_chain)
        .values(
            id=chain_id,
            creator=creator,
            kind=kind.value,
            idempotency_id=idempotency_id,
            created_at=created,
            receipt=receipt,
            dialog_id=dialog_id,
            transmission_id=transmission_id,
        )
        .on_conflict_do_nothing(index_elements=["creator", "kind", "idempotency_id"])
        .returning(notification_order_chain.c.id)
    )
    result = await connection.execute(statement)
    return result.first() is not None


async def get_receipt(
    connection: AsyncConnection, creator: Creator, kind: ChainKind, idempotency_id: str
) -> dict[str, Any] | None:
    """The answer the creator's chain of this kind under this id was registered with, if any."""
    chain = notification_order_chain.c
    result = await connection.execute(
        select(chain.receipt).where(
            and_(chain.creator == creator, chain.kind == kind.value, chain.idempotency_id == idempotency_id)
        )
    )
    receipt: dict[str, Any] | None = result.scalar_one_or_none()
    return receipt
