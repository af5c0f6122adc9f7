"""The product catalogue that order lines are checked against: `orderdesk products import FILE`."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.purchases import repository
from orderdesk.purchases.models import NewProduct


async def import_products(connection: AsyncConnection, products: Iterable[NewProduct], now: datetime) -> int:
    """Add the products (parsed by `schemas.parse_products`) to the catalogue, replacing price and
    description of those already there (same type and codes); importing the same file twice changes
    nothing. A key given twice counts once, with the last entry's values. Returns the count."""
    by_key = {product.catalog_key: product for product in products}
    await repository.catalog.upsert_products(connection, list(by_key.values()), now)
    return len(by_key)
