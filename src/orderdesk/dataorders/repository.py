"""Queries of the data-order family; the caller owns the transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.core.db import bulk_insert, lock_for_update, upsert
from orderdesk.core.offload import converted_rows
from orderdesk.dataorders.catalog import CatalogEntry
from orderdesk.dataorders.models import FileState, OrderStatus
from orderdesk.dataorders.selection import Selection
from orderdesk.dataorders.tables import (
    basket_selection,
    catalog_dataset,
    catalog_file,
    data_order,
    data_order_file,
    data_suborder,
)

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


async def save_dataset(connection: AsyncConnection, name: str, location: str, now: datetime) -> None:
    await upsert(
        connection,
        catalog_dataset,
        [{"name": name, "location": location, "imported_at": now}],
        ["name"],
    )


async def catalogued_keys(connection: AsyncConnection, dataset: str) -> dict[str, tuple[int, str, bool]]:
    """storage key -> (size, md5, removed) of what the catalogue holds for the dataset."""
    result = await connection.execute(
        select(
            catalog_file.c.storage_key, catalog_file.c.size, catalog_file.c.md5, catalog_file.c.removed_at
        ).where(catalog_file.c.dataset == dataset)
    )
    return {row.storage_key: (row.size, row.md5, row.removed_at is not None) for row in result}


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


async def dataset_exists(connection: AsyncConnection, name: str) -> bool:
    result = await connection.execute(select(catalog_dataset.c.name).where(catalog_dataset.c.name == name))
    return result.first() is not None


async def selected_files(connection: AsyncConnection, selection: Selection) -> list[Any]:
    """The catalogue files (not removed) a selection stands for, in a stable order."""
    file = catalog_file.c
    query = select(*_ORDERABLE).where(and_(file.dataset == selection.dataset, file.removed_at.is_(None)))
    if selection.product_ids is not None:
        query = query.where(file.product_id.in_(selection.product_ids))
    result = await connection.execute(query.order_by(file.product_id, file.storage_key))
    return [row for row in result if selection.matches_filename(row.filename)]


async def files_of_products(connection: AsyncConnection, product_ids: Sequence[str]) -> list[Any]:
    """The catalogue files (not removed) of these products, in every dataset."""
    file = catalog_file.c
    result = await connection.execute(
        select(*_ORDERABLE)
        .where(and_(file.product_id.in_(product_ids), file.removed_at.is_(None)))
        .order_by(file.dataset, file.product_id, file.storage_key)
    )
    return list(result)


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


async def basket_of(connection: AsyncConnection, owner: str) -> list[tuple[uuid.UUID, Selection]]:
    result = await connection.execute(
        select(basket_selection)
        .where(basket_selection.c.owner == owner)
        .order_by(basket_selection.c.created_at, basket_selection.c.id)
    )
    return [
        (
            row.id,
            Selection(
                dataset=row.dataset,
                product_ids=tuple(row.product_ids) if row.product_ids is not None else None,
                filename_pattern=row.filename_pattern,
            ),
        )
        for row in result
    ]


async def empty_basket(connection: AsyncConnection, owner: str) -> None:
    await connection.execute(delete(basket_selection).where(basket_selection.c.owner == owner))


async def labels_like(connection: AsyncConnection, owner: str, label: str) -> set[str]:
    """The owner's order labels that start like `label` (to make a new one unique)."""
    result = await connection.execute(
        select(data_order.c.label).where(
            and_(data_order.c.owner == owner, data_order.c.label.startswith(label, autoescape=True))
        )
    )
    return {row.label for row in result}


async def insert_order(connection: AsyncConnection, values: dict[str, Any]) -> int:
    result = await connection.execute(data_order.insert().values(**values).returning(data_order.c.id))
    order_id: int = result.scalar_one()
    return order_id


async def insert_suborder(connection: AsyncConnection, values: dict[str, Any]) -> int:
    result = await connection.execute(data_suborder.insert().values(**values).returning(data_suborder.c.id))
    suborder_id: int = result.scalar_one()
    return suborder_id


async def insert_files(connection: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    await bulk_insert(connection, data_order_file, rows)


async def get_order(connection: AsyncConnection, order_id: int, *, lock: bool = False) -> Any | None:
    """The order's row; with `lock`, held until the transaction commits."""
    query = select(data_order).where(data_order.c.id == order_id)
    if lock:
        await lock_for_update(connection)
        query = query.with_for_update()
    return (await connection.execute(query)).first()


async def list_orders(
    connection: AsyncConnection, owner: str, *, offset: int, limit: int
) -> tuple[list[Any], int]:
    """The owner's orders, newest first, without deleted ones; and how many there are in all."""
    visible = and_(data_order.c.owner == owner, data_order.c.status != OrderStatus.DELETED.value)
    total = (
        await connection.execute(select(func.count()).select_from(data_order).where(visible))
    ).scalar_one()
    result = await connection.execute(
        select(data_order)
        .where(visible)
        .order_by(data_order.c.created_at.desc(), data_order.c.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(result), int(total)


async def dataset_parts(connection: AsyncConnection, order_ids: Sequence[int]) -> dict[int, list[Any]]:
    """Per order, per dataset: products, files and bytes ordered."""
    file = data_order_file.c
    result = await connection.execute(
        select(
            file.order_id,
            file.dataset,
            func.count(func.distinct(file.product_id)).label("products"),
            func.count().label("files"),
            func.sum(file.size).label("bytes"),
        )
        .where(file.order_id.in_(order_ids))
        .group_by(file.order_id, file.dataset)
        .order_by(file.order_id, file.dataset)
    )
    parts: dict[int, list[Any]] = {}
    for row in result:
        parts.setdefault(row.order_id, []).append(row)
    return parts


async def order_files(
    connection: AsyncConnection,
    order_id: int,
    *,
    state: FileState | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> tuple[list[Any], int]:
    """A page of the order's files (in a stable order), optionally of one state; and how many there are."""
    file = data_order_file.c
    chosen = file.order_id == order_id
    if state is not None:
        chosen = and_(chosen, file.state == state.value)
    counted = await connection.execute(select(func.count()).select_from(data_order_file).where(chosen))
    result = await connection.execute(
        select(data_order_file)
        .where(chosen)
        .order_by(file.product_id, file.storage_key, file.id)
        .offset(offset)
        .limit(limit)
    )
    # Without a limit (a metalink) as many rows as the order has files: processed off the loop.
    return await converted_rows(result, _same), int(counted.scalar_one())


def _same(row: Any) -> Any:
    return row


async def order_file(connection: AsyncConnection, file_id: uuid.UUID) -> Any | None:
    result = await connection.execute(
        select(
            data_order_file,
            data_order.c.owner,
            data_order.c.status.label("order_status"),
            data_order.c.expires_at.label("order_expires_at"),
        )
        .join(data_order, data_order.c.id == data_order_file.c.order_id)
        .where(data_order_file.c.id == file_id)
    )
    return result.first()


async def catalogue_files_of_order(connection: AsyncConnection, order_id: int) -> list[Any]:
    """The catalogue rows (still catalogued) of the files an order holds: what restarting orders again."""
    file = catalog_file.c
    ordered = select(data_order_file.c.catalog_file_id).where(data_order_file.c.order_id == order_id)
    result = await connection.execute(
        select(*_ORDERABLE).where(and_(file.id.in_(ordered), file.removed_at.is_(None)))
    )
    return list(result)


async def suborder_count(connection: AsyncConnection, order_id: int) -> int:
    result = await connection.execute(
        select(func.count()).select_from(data_suborder).where(data_suborder.c.order_id == order_id)
    )
    return int(result.scalar_one())
