"""Placing a data order (from the user's basket, or from files chosen otherwise): the files split into
sub-orders, all PENDING. Reading orders back, each with its datasets."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.core import topics
from orderdesk.core.errors import InvalidInput
from orderdesk.core.wakeup import after_commit
from orderdesk.dataorders import repository
from orderdesk.dataorders.buckets import Sized, split
from orderdesk.dataorders.errors import OrderNotFound
from orderdesk.dataorders.models import (
    GONE,
    DataOrder,
    DatasetPart,
    FileState,
    OrderStatus,
    SuborderState,
)
from orderdesk.dataorders.selection import checked_pattern, filename_matcher, product_ids_of_query
from orderdesk.dataorders.staging import lock_owner

MAX_LABEL = 50
USER_SUBORDER_HOURS = 240
APPLIED_SUBORDER_HOURS = 2
_IDS_PER_QUERY = 1000
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
) -> DataOrder | None:
    """The basket as an order, and the basket emptied; None (the basket left as it is) when it holds
    nothing orderable."""
    await lock_owner(connection, owner)  # two placements at once must not order one basket twice
    chosen: dict[uuid.UUID, Any] = {}
    for _selection_id, selection in await repository.basket_of(connection, owner):
        for row in await repository.selected_files(connection, selection):
            chosen.setdefault(row.id, row)
    order = await create_order(
        connection,
        owner,
        list(chosen.values()),
        label=label,
        on_success_url=on_success_url,
        correlation_id=None,
        suborder_hours=USER_SUBORDER_HOURS,
        now=now,
        rules=rules,
    )
    if order is not None:
        await repository.empty_basket(connection, owner)
    return order


async def apply_order(
    connection: AsyncConnection,
    owner: str,
    *,
    queries: Sequence[str],
    filename_pattern: str | None,
    data_types: Sequence[str] | None,
    correlation_id: str | None,
    now: datetime,
    rules: OrderingRules,
) -> DataOrder | None:
    """Order what the queries select, over every dataset, without the basket. InvalidInput naming
    the query or pattern at fault; None (nothing ordered) when nothing matches."""
    product_ids: dict[str, None] = {}
    problems: dict[str, list[str]] = {}
    for index, query in enumerate(queries):
        try:
            product_ids.update(dict.fromkeys(product_ids_of_query(query)))
        except InvalidInput as error:
            problems[f"queries[{index}]"] = error.errors["query"]
    if problems:
        raise InvalidInput(problems)
    pattern = checked_pattern(filename_pattern)
    matches = filename_matcher(pattern) if pattern is not None else None
    files: list[Any] = []
    if data_types is None or "RAWDATA" in data_types:  # every catalogued file is RAWDATA
        ids = list(product_ids)
        for start in range(0, len(ids), _IDS_PER_QUERY):
            found = await repository.files_of_products(connection, ids[start : start + _IDS_PER_QUERY])
            files += [row for row in found if matches is None or matches(row.filename)]
    return await create_order(
        connection,
        owner,
        files,
        label=None,
        on_success_url=None,
        correlation_id=correlation_id,
        suborder_hours=APPLIED_SUBORDER_HOURS,
        now=now,
        rules=rules,
    )


async def create_order(
    connection: AsyncConnection,
    owner: str,
    files: Sequence[Any],
    *,
    label: str | None,
    on_success_url: str | None,
    correlation_id: str | None,
    suborder_hours: int,
    now: datetime,
    rules: OrderingRules,
) -> DataOrder | None:
    """An order of `files` (catalogue rows), split into WAITING sub-orders; None (nothing stored)
    when there are none.

    It lives (sub-orders + 2) x `suborder_hours`, at most a week: the original's rule, with 240 h for
    orders placed from the basket and 2 h for orders applied in one call."""
    if not files:
        return None
    await lock_owner(connection, owner)  # the label must stay unique while we choose it
    sized = sorted(
        (_File((row.dataset, row.product_id), row.size, row) for row in files),
        key=lambda item: (item.product_key, item.row.storage_key),
    )
    suborders = split(sized, max_bytes=rules.bucket_bytes)
    order_id = await repository.insert_order(
        connection,
        {
            "owner": owner,
            "label": await _unique_label(connection, owner, label or _default_label(now)),
            "status": OrderStatus.PENDING.value,
            "status_changed_at": now,
            "created_at": now,
            "expires_at": now + lifetime(len(suborders), suborder_hours),
            "files_count": len(sized),
            "files_size": sum(item.size for item in sized),
            "on_success_url": on_success_url,
            "correlation_id": correlation_id or f"auto-correlation-id-{uuid.uuid4()}",
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
    await after_commit(connection, topics.DATAORDER_STAGING)
    return await get_order(connection, owner, order_id)


async def get_order(connection: AsyncConnection, user: str, order_id: int) -> DataOrder:
    """The order with its datasets; OrderNotFound as `owned_order`."""
    row = await owned_order(connection, user, order_id)
    parts = await repository.dataset_parts(connection, [order_id])
    return _order(row, parts.get(order_id, []))


async def owned_order(connection: AsyncConnection, user: str, order_id: int, *, lock: bool = False) -> Any:
    """The order's row, without the per-dataset counts (what status polls and downloads need).

    OrderNotFound, the same, if there is none or it is someone else's: ids are sequential, so any
    difference (the original's 403) would tell a user which ids other users' orders have."""
    row = await repository.get_order(connection, order_id, lock=lock)
    if row is None or row.owner != user:
        raise OrderNotFound()
    return row


async def available_files(
    connection: AsyncConnection, user: str, order_id: int, *, offset: int = 0, limit: int | None = None
) -> tuple[Any, list[Any], int]:
    """The order's row, a page of its AVAILABLE files and how many there are; none once it is
    deleted or expired (its staged files are removed then)."""
    order = await owned_order(connection, user, order_id)
    if order.status in GONE:
        return order, [], 0
    rows, total = await repository.order_files(
        connection, order_id, state=FileState.AVAILABLE, offset=offset, limit=limit
    )
    return order, rows, total


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


def lifetime(suborders: int, suborder_hours: int) -> timedelta:
    """(sub-orders + 2) x the sub-order duration, at most a week."""
    hours = suborder_hours if suborders == 0 else (suborders + 2) * suborder_hours
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
