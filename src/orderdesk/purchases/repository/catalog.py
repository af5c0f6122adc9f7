"""The queries of the product catalogue."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.core.db import upsert
from orderdesk.purchases.models import CatalogProduct, NewProduct
from orderdesk.purchases.tables import purchase_product


async def get_products_by_key(connection: AsyncConnection, keys: Iterable[str]) -> dict[str, CatalogProduct]:
    """The catalogue's products of these keys, by key; a key the catalogue lacks is left out."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    rows = await connection.execute(
        select(purchase_product).where(purchase_product.c.catalog_key.in_(wanted))
    )
    return {
        row.catalog_key: CatalogProduct(
            product_id=row.id,
            catalog_key=row.catalog_key,
            unit_price=Decimal(row.unit_price),
            description=row.description,
        )
        for row in rows
    }


async def upsert_products(connection: AsyncConnection, products: Sequence[NewProduct], now: datetime) -> None:
    """Insert the products, or replace type, codes, price and description of those whose key is there
    (their id stays)."""
    rows = [
        {
            "catalog_key": product.catalog_key,
            "product_spec_type": product.spec_type.value,
            "product": product.product,
            "product_spec_code": product.spec_code,
            "product_spec_no": product.spec_no,
            "unit_price": product.unit_price,
            "description": product.description,
            "updated_at": now,
        }
        for product in products
    ]
    await upsert(connection, purchase_product, rows, ["catalog_key"], keep=["id"])
