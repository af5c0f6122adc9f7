"""The user's basket: selections of catalogue files, shown with what they hold now, ordered later."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.dataorders.errors import DatasetNotFound
from orderdesk.dataorders.models import Basket, SelectionSummary
from orderdesk.dataorders.repository import basket, catalogue
from orderdesk.dataorders.rules.selection import check_room, selection_of


async def add_to_basket(
    connection: AsyncConnection,
    owner: str,
    *,
    dataset: str,
    product_ids: list[str] | None,
    query: str | None,
    filename_pattern: str | None,
    now: datetime,
) -> Basket | None:
    """Add a selection to the user's basket. DatasetNotFound for an unknown dataset; None (nothing
    stored) when no catalogued file matches, e.g. unknown product ids."""
    selection = selection_of(dataset, product_ids, query, filename_pattern)
    if not await catalogue.dataset_exists(connection, dataset):
        raise DatasetNotFound(f"No dataset named {dataset!r} is in the catalogue.")
    if not await catalogue.selected_files(connection, selection):
        return None
    check_room(await basket.basket_of(connection, owner), selection, "query" if query else "productIds")
    await basket.add_selection(connection, owner, selection, now)
    return await get_basket(connection, owner)


async def get_basket(connection: AsyncConnection, owner: str) -> Basket:
    summaries = []
    for kept in await basket.basket_of(connection, owner):
        selection = kept.selection
        selected = await catalogue.selected_files(connection, selection)
        summaries.append(
            SelectionSummary(
                id=kept.id,
                dataset=selection.dataset,
                product_ids=selection.product_ids,
                filename_pattern=selection.filename_pattern,
                products=len({file.product_id for file in selected}),
                files=len(selected),
                bytes=sum(file.size for file in selected),
            )
        )
    return Basket(owner=owner, selections=summaries)


async def empty_basket(connection: AsyncConnection, owner: str) -> None:
    await basket.empty_basket(connection, owner)
