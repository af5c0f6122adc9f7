"""Placing a data order from the user's basket: the files it stands for, split into sub-orders, all
PENDING; the basket is emptied. Reading orders back, each with its datasets."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.dataorders import repository
from orderdesk.dataorders.buckets import Sized, split
from orderdesk.dataorders.errors import EmptyBasket, NotOrderOwner, OrderNotFound
from orderdesk.dataorders.models import (
    DataOrder,
    DatasetPart,
    FileState,
    OrderStatus,
    SuborderState,
)

MAX_LABEL = 50
USER_SUBORDER_HOURS = 240
MAX_EXPIRY_HOURS = 168


@dataclass(frozen=True, slots=True)
class OrderingRules:
    bucket_bytes: int


@dataclass(frozen=True, slots=True)
class _File(Sized):
    row: Any


async def place_order(
    connection: AsyncConnection,
    owner: str,
    *,
    label: str | None,
    on_success_url: str | None,
    now: datetime,
    rules: OrderingRules,
) -> DataOrder:
    """The basket as an order. EmptyBasket when it holds nothing orderable (any more)."""
    chosen: dict[uuid.UUID, Any] = {}
    for _selection_id, selection in await repository.basket_of(connection, owner):
        for row in await repository.selected_files(connection, selection):
            chosen.setdefault(row.id, row)
    if not chosen:
        raise EmptyBasket()
    files = sorted(
        (_File((row.dataset, row.product_id), row.size, row) for row in chosen.values()),
        key=lambda item: (item.product_key, item.row.storage_key),
    )
    suborders = split(files, max_bytes=rules.bucket_bytes)
    order_id = await repository.insert_order(
        connection,
        {
            "owner": owner,
            "label": await _unique_label(connection, owner, label or _default_label(now)),
            "status": OrderStatus.PENDING.value,
            "status_changed_at": now,
            "created_at": now,
            "expires_at": now + _lifetime(len(suborders)),
            "files_count": len(files),
            "files_size": sum(item.size for item in files),
            "on_success_url": on_success_url,
            "correlation_id": f"auto-correlation-id-{uuid.uuid4()}",
        },
    )
    rows: list[dict[str, Any]] = []
    for sequence, suborder in enumerate(suborders, start=1):
        suborder_id = await repository.insert_suborder(
            connection,
            {
                "order_id": order_id,
                "owner": owner,
                "sequence": sequence,
                "state": SuborderState.WAITING.value,
                "files_count": len(suborder),
                "files_size": sum(item.size for item in suborder),
                "due_at": now,
            },
        )
        rows.extend(_file_row(order_id, suborder_id, item.row, now) for item in suborder)
    await repository.insert_files(connection, rows)
    await repository.empty_basket(connection, owner)
    return await get_order(connection, owner, order_id)


async def get_order(connection: AsyncConnection, user: str, order_id: int) -> DataOrder:
    """OrderNotFound if there is none; NotOrderOwner (403, as the original) if it is someone else's."""
    row = await repository.get_order(connection, order_id)
    if row is None:
        raise OrderNotFound()
    if row.owner != user:
        raise NotOrderOwner()
    parts = await repository.dataset_parts(connection, [order_id])
    return _order(row, parts.get(order_id, []))


async def list_orders(
    connection: AsyncConnection, user: str, *, page: int, size: int
) -> tuple[list[DataOrder], int]:
    rows, total = await repository.list_orders(connection, user, offset=page * size, limit=size)
    parts = await repository.dataset_parts(connection, [row.id for row in rows])
    return [_order(row, parts.get(row.id, [])) for row in rows], total


def _order(row: Any, parts: list[Any]) -> DataOrder:
    return DataOrder(
        id=row.id,
        owner=row.owner,
        label=row.label,
        status=OrderStatus(row.status),
        status_changed_at=row.status_changed_at,
        created_at=row.created_at,
        expires_at=row.expires_at,
        files_count=row.files_count,
        files_size=row.files_size,
        percent_completed=row.percent_completed,
        files_in_error=row.files_in_error,
        available_files=row.available_files,
        waiting_for_user=bool(row.waiting_for_user),
        correlation_id=row.correlation_id,
        on_success_url=row.on_success_url,
        message=row.message,
        datasets=[DatasetPart(part.dataset, part.products, part.files, int(part.bytes)) for part in parts],
    )


def _file_row(order_id: int, suborder_id: int, row: Any, now: datetime) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "order_id": order_id,
        "suborder_id": suborder_id,
        "catalog_file_id": row.id,
        "dataset": row.dataset,
        "product_id": row.product_id,
        "filename": row.filename,
        "storage_key": row.storage_key,
        "size": row.size,
        "mime_type": row.mime_type,
        "md5": row.md5,
        "state": FileState.PENDING.value,
        "state_changed_at": now,
        "error": None,
    }


def _lifetime(suborders: int) -> timedelta:
    """The original's rule for user orders: (sub-orders + 2) x 240 h, at most 168 h."""
    hours = USER_SUBORDER_HOURS if suborders == 0 else (suborders + 2) * USER_SUBORDER_HOURS
    return timedelta(hours=min(hours, MAX_EXPIRY_HOURS))


def _default_label(now: datetime) -> str:
    return f"Order of {now:%Y/%m/%d} at {now:%H:%M:%S}"


async def _unique_label(connection: AsyncConnection, owner: str, label: str) -> str:
    """The label, or the label with ` (n)` when the owner already has one like it (at most 50)."""
    base = label.strip()[:MAX_LABEL]
    taken = await repository.labels_like(connection, owner, base[: MAX_LABEL - 6])
    if base not in taken:
        return base
    number = 2
    while True:
        suffix = f" ({number})"
        candidate = base[: MAX_LABEL - len(suffix)] + suffix
        if candidate not in taken:
            return candidate
        number += 1
