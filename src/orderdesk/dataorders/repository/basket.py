"""Queries of users' baskets; the caller owns the transaction."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.dataorders.models import BasketSelection, Selection
from orderdesk.dataorders.tables import basket_selection


async def add_selection(
    connection: AsyncConnection, owner: str, selection: Selection, now: datetime
) -> uuid.UUID:
    selection_id = uuid.uuid4()
    await connection.execute(
        basket_selection.insert().values(
            id=selection_id,
            owner=owner,
            dataset=selection.dataset,
            product_ids=list(selection.product_ids) if selection.product_ids is not None else None,
            filename_pattern=selection.filename_pattern,
            created_at=now,
        )
    )
    return selection_id


async def basket_of(connection: AsyncConnection, owner: str) -> list[BasketSelection]:
    result = await connection.execute(
        select(basket_selection)
        .where(basket_selection.c.owner == owner)
        .order_by(basket_selection.c.created_at, basket_selection.c.id)
    )
    return [
        BasketSelection(
            id=row.id,
            selection=Selection(
                dataset=row.dataset,
                product_ids=tuple(row.product_ids) if row.product_ids is not None else None,
                filename_pattern=row.filename_pattern,
            ),
        )
        for row in result
    ]


async def empty_basket(connection: AsyncConnection, owner: str) -> None:
    await connection.execute(delete(basket_selection).where(basket_selection.c.owner == owner))
