"""Queries of the catalogue: datasets and their files; the caller owns the transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.core.db import upsert
from orderdesk.dataorders.models import CataloguedKey, CatalogueFile, DatasetListing, Selection
from orderdesk.dataorders.rules.catalogue import CatalogEntry
from orderdesk.dataorders.rules.selection import matches_filename
from orderdesk.dataorders.tables import basket_selection, catalog_dataset, catalog_file, data_order_file

_ORDERABLE = (
    catalog_file.c.id,
    catalog_file.c.dataset,
    catalog_file.c.product_id,
    catalog_file.c.filename,
    catalog_file.c.storage_key,
    catalog_file.c.size,
    catalog_file.c.mime_type,
    catalog_file.c.md5,
)
"""What an order copies of a catalogue file."""


def _catalogue_file(row: Any) -> CatalogueFile:
    return CatalogueFile(
        id=row.id,
        dataset=row.dataset,
        product_id=row.product_id,
        filename=row.filename,
        storage_key=row.storage_key,
        size=row.size,
        mime_type=row.mime_type,
        md5=row.md5,
    )


async def save_dataset(connection: AsyncConnection, name: str, location: str, now: datetime) -> None:
    await upsert(
        connection,
        catalog_dataset,
        [{"name": name, "location": location, "imported_at": now}],
        ["name"],
    )


async def catalogued_keys(connection: AsyncConnection, dataset: str) -> dict[str, CataloguedKey]:
    """What the catalogue holds for the dataset, by storage key."""
    result = await connection.execute(
        select(
            catalog_file.c.storage_key, catalog_file.c.size, catalog_file.c.md5, catalog_file.c.removed_at
        ).where(catalog_file.c.dataset == dataset)
    )
    return {row.storage_key: CataloguedKey(row.size, row.md5, row.removed_at is not None) for row in result}


async def save_files(
    connection: AsyncConnection, dataset: str, entries: Sequence[CatalogEntry], now: datetime
) -> None:
    """Insert new files and refresh known ones (same dataset and key), present again if removed."""
    rows = [
        {
            "id": uuid.uuid4(),
            "dataset": dataset,
            "product_id": entry.product_id,
            "filename": entry.filename,
            "storage_key": entry.storage_key,
            "size": entry.size,
            "mime_type": entry.mime_type,
            "md5": entry.md5,
            "imported_at": now,
            "removed_at": None,
        }
        for entry in entries
    ]
    await upsert(connection, catalog_file, rows, ["dataset", "storage_key"], keep=["id"])


async def mark_removed(connection: AsyncConnection, dataset: str, keys: Sequence[str], now: datetime) -> None:
    for start in range(0, len(keys), 1000):
        await connection.execute(
            update(catalog_file)
            .where(
                and_(
                    catalog_file.c.dataset == dataset,
                    catalog_file.c.storage_key.in_(keys[start : start + 1000]),
                    catalog_file.c.removed_at.is_(None),
                )
            )
            .values(removed_at=now)
        )


async def list_datasets(connection: AsyncConnection) -> list[DatasetListing]:
    """Every dataset by name, with the count and bytes of its files not removed."""
    dataset, file = catalog_dataset.c, catalog_file.c
    present = and_(file.dataset == dataset.name, file.removed_at.is_(None))
    rows = await connection.execute(
        select(
            dataset.name,
            dataset.location,
            dataset.imported_at,
            func.count(file.id).label("files"),
            func.coalesce(func.sum(file.size), 0).label("bytes"),
        )
        .select_from(catalog_dataset.outerjoin(catalog_file, present))
        .group_by(dataset.name, dataset.location, dataset.imported_at)
        .order_by(dataset.name)
    )
    return [
        DatasetListing(row.name, row.location, row.imported_at, row.files, int(row.bytes)) for row in rows
    ]


async def delete_dataset(connection: AsyncConnection, name: str) -> bool:
    """Delete the dataset, its files and the basket selections of it; whether it was there. Orders
    keep their own copy of what they ordered (`data_order_file`)."""
    await connection.execute(delete(basket_selection).where(basket_selection.c.dataset == name))
    await connection.execute(delete(catalog_file).where(catalog_file.c.dataset == name))
    result = await connection.execute(delete(catalog_dataset).where(catalog_dataset.c.name == name))
    return result.rowcount > 0


async def dataset_exists(connection: AsyncConnection, name: str) -> bool:
    result = await connection.execute(select(catalog_dataset.c.name).where(catalog_dataset.c.name == name))
    return result.first() is not None


async def selected_files(connection: AsyncConnection, selection: Selection) -> list[CatalogueFile]:
    """The catalogue files (not removed) a selection stands for, in a stable order."""
    file = catalog_file.c
    query = select(*_ORDERABLE).where(and_(file.dataset == selection.dataset, file.removed_at.is_(None)))
    if selection.product_ids is not None:
        query = query.where(file.product_id.in_(selection.product_ids))
    result = await connection.execute(query.order_by(file.product_id, file.storage_key))
    return [_catalogue_file(row) for row in result if matches_filename(selection, row.filename)]


async def files_of_products(connection: AsyncConnection, product_ids: Sequence[str]) -> list[CatalogueFile]:
    """The catalogue files (not removed) of these products, in every dataset."""
    file = catalog_file.c
    result = await connection.execute(
        select(*_ORDERABLE)
        .where(and_(file.product_id.in_(product_ids), file.removed_at.is_(None)))
        .order_by(file.dataset, file.product_id, file.storage_key)
    )
    return [_catalogue_file(row) for row in result]


async def catalogue_files_of_order(connection: AsyncConnection, order_id: int) -> list[CatalogueFile]:
    """The catalogue files (still catalogued) of the files an order holds: what restarting orders again."""
    file = catalog_file.c
    ordered = select(data_order_file.c.catalog_file_id).where(data_order_file.c.order_id == order_id)
    result = await connection.execute(
        select(*_ORDERABLE).where(and_(file.id.in_(ordered), file.removed_at.is_(None)))
    )
    return [_catalogue_file(row) for row in result]
