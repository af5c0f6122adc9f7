"""Placing a data order (from the user's basket, or from files chosen otherwise): the files split into
sub-orders, all PENDING. Reading orders back, each with its datasets, and their files."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.core import topics
from orderdesk.core.db import on_commit
from orderdesk.core.wakeup import after_commit
from orderdesk.dataorders.errors import OrderNotFound
from orderdesk.dataorders.models import (
    AvailableFiles,
    CatalogueFile,
    DataOrder,
    DatasetPart,
    FileState,
    NewOrder,
    NewSuborder,
    OrderFile,
    OrderRow,
)
from orderdesk.dataorders.repository import basket, catalogue, files, orders
from orderdesk.dataorders.rules.ordering import (
    APPLIED_SUBORDER_HOURS,
    IDS_PER_QUERY,
    USER_SUBORDER_HOURS,
    OrderingRules,
    default_label,
    label_base,
    label_prefix,
    lifetime,
    suborders_of,
    unique_label,
)
from orderdesk.dataorders.rules.selection import checked_pattern, filename_matcher, product_ids_of_queries
from orderdesk.dataorders.rules.status import NO_FILES_TO_COME, is_gone, is_over
from orderdesk.observability import metrics


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
    await orders.lock_owner(connection, owner)  # two placements at once must not order one basket twice
    chosen: dict[uuid.UUID, CatalogueFile] = {}
    for kept in await basket.basket_of(connection, owner):
        for file in await catalogue.selected_files(connection, kept.selection):
            chosen.setdefault(file.id, file)
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
        await basket.empty_basket(connection, owner)
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
    ids = product_ids_of_queries(queries)
    pattern = checked_pattern(filename_pattern)
    matches = filename_matcher(pattern) if pattern is not None else None
    found: list[CatalogueFile] = []
    if data_types is None or "RAWDATA" in data_types:  # every catalogued file is RAWDATA
        for start in range(0, len(ids), IDS_PER_QUERY):
            some = await catalogue.files_of_products(connection, ids[start : start + IDS_PER_QUERY])
            found += [file for file in some if matches is None or matches(file.filename)]
    return await create_order(
        connection,
        owner,
        found,
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
    catalogued: Sequence[CatalogueFile],
    *,
    label: str | None,
    on_success_url: str | None,
    correlation_id: str | None,
    suborder_hours: int,
    now: datetime,
    rules: OrderingRules,
) -> DataOrder | None:
    """An order of the `catalogued` files, split into WAITING sub-orders; None (nothing stored)
    when there are none.

    It lives (sub-orders + 2) x `suborder_hours`, at most a week: the original's rule, with 240 h for
    orders placed from the basket and 2 h for orders applied in one call."""
    if not catalogued:
        return None
    await orders.lock_owner(connection, owner)  # the label must stay unique while we choose it
    suborders = suborders_of(catalogued, bucket_bytes=rules.bucket_bytes)
    base = label_base(label or default_label(now))
    order_id = await orders.insert_order(
        connection,
        NewOrder(
            owner=owner,
            label=unique_label(base, await orders.labels_like(connection, owner, label_prefix(base))),
            created_at=now,
            expires_at=now + lifetime(len(suborders), suborder_hours),
            files_count=len(catalogued),
            files_size=sum(file.size for file in catalogued),
            on_success_url=on_success_url,
            correlation_id=correlation_id or f"auto-correlation-id-{uuid.uuid4()}",
        ),
    )
    ordered: list[OrderFile] = []
    for sequence, suborder in enumerate(suborders, start=1):
        suborder_id = await orders.insert_suborder(
            connection,
            NewSuborder(
                order_id=order_id,
                owner=owner,
                sequence=sequence,
                files_count=len(suborder),
                files_size=sum(file.size for file in suborder),
                due_at=now,
            ),
        )
        ordered.extend(_ordered(order_id, suborder_id, file, now) for file in suborder)
    await files.insert_files(connection, ordered)
    await after_commit(connection, topics.DATAORDER_STAGING)
    on_commit(connection, lambda: metrics.order_placed("dataorders", "order"))
    return await get_order(connection, owner, order_id)


def _ordered(order_id: int, suborder_id: int, file: CatalogueFile, now: datetime) -> OrderFile:
    return OrderFile(
        id=uuid.uuid4(),
        order_id=order_id,
        suborder_id=suborder_id,
        catalog_file_id=file.id,
        dataset=file.dataset,
        product_id=file.product_id,
        filename=file.filename,
        storage_key=file.storage_key,
        size=file.size,
        mime_type=file.mime_type,
        md5=file.md5,
        state=FileState.PENDING,
        state_changed_at=now,
        error=None,
    )


async def get_order(
    connection: AsyncConnection, user: str, order_id: int, *, any_owner: bool = False
) -> DataOrder:
    """The order with its datasets; OrderNotFound as `owned_order`."""
    order = await owned_order(connection, user, order_id, any_owner=any_owner)
    parts = await orders.dataset_parts(connection, [order_id])
    return _with_parts(order, parts.get(order_id, []))


async def owned_order(
    connection: AsyncConnection, user: str, order_id: int, *, lock: bool = False, any_owner: bool = False
) -> OrderRow:
    """The order, without the per-dataset counts (what status polls and downloads need); whoever
    owns it when `any_owner` (an administrator's read).

    OrderNotFound, the same, if there is none or it is someone else's: ids are sequential, so any
    difference (the original's 403) would tell a user which ids other users' orders have."""
    order = await orders.get_order(connection, order_id, lock=lock)
    if order is None or (order.owner != user and not any_owner):
        raise OrderNotFound()
    return order


async def available_files(
    connection: AsyncConnection,
    user: str,
    order_id: int,
    *,
    offset: int = 0,
    limit: int | None = None,
    any_owner: bool = False,
) -> AvailableFiles:
    """A page of the order's AVAILABLE files and how many there are, and whether the order is over;
    no file once it is deleted or expired (its staged files are removed then)."""
    order = await owned_order(connection, user, order_id, any_owner=any_owner)
    return await available_files_of(connection, order, offset=offset, limit=limit)


async def available_files_of(
    connection: AsyncConnection, order: OrderRow, *, offset: int = 0, limit: int | None = None
) -> AvailableFiles:
    """`available_files` of an order read already."""
    if is_gone(order.status):
        return AvailableFiles(over=True, files=[], total=0)
    page, total = await files.order_files(
        connection, order.id, state=FileState.AVAILABLE, offset=offset, limit=limit
    )
    return AvailableFiles(over=is_over(order.status), files=page, total=total)


async def order_files(
    connection: AsyncConnection, user: str, order_id: int, *, offset: int, limit: int, any_owner: bool = False
) -> tuple[list[OrderFile], int]:
    """A page of every file of the order, whatever its state, and how many there are."""
    await owned_order(connection, user, order_id, any_owner=any_owner)
    return await files.order_files(connection, order_id, offset=offset, limit=limit)


async def metalink_files(
    connection: AsyncConnection, user: str, order_id: int
) -> tuple[OrderRow, list[OrderFile]]:
    """The order and every file of it, for its metalink; OrderNotFound also once no file can come
    any more (DELETED, EXPIRED, FAILED)."""
    order = await owned_order(connection, user, order_id)
    if order.status in NO_FILES_TO_COME:
        raise OrderNotFound(f"The order is {order.status.value}: it has no file to download.")
    listed, _total = await files.order_files(connection, order_id)
    return order, listed


async def suborder_count(connection: AsyncConnection, order_id: int) -> int:
    return await orders.suborder_count(connection, order_id)


async def list_orders(
    connection: AsyncConnection, user: str, *, page: int, size: int
) -> tuple[list[DataOrder], int]:
    found, total = await orders.list_orders(connection, user, offset=page * size, limit=size)
    parts = await orders.dataset_parts(connection, [order.id for order in found])
    return [_with_parts(order, parts.get(order.id, [])) for order in found], total


def _with_parts(order: OrderRow, parts: list[DatasetPart]) -> DataOrder:
    stored = {name: getattr(order, name) for name in OrderRow.__dataclass_fields__}
    return DataOrder(**stored, datasets=parts)
