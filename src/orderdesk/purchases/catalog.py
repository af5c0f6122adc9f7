"""The product catalogue that order lines are checked against: its file format, the key that names a
product within its type, and the import (`orderdesk products import FILE`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, StringConstraints, ValidationError
from pydantic.alias_generators import to_camel
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.core.db import upsert
from orderdesk.core.errors import InvalidInput
from orderdesk.purchases.fields import MAX_ID, Money
from orderdesk.purchases.models import REQUIRED_LINE_FIELDS, ProductSpecType
from orderdesk.purchases.tables import purchase_product

Code = Annotated[StrictStr, StringConstraints(min_length=1, max_length=100, pattern=r"^[^\x00|]*$")]


def catalog_key(
    spec_type: ProductSpecType, product: str | None, spec_code: str | None, spec_no: int | None
) -> str:
    """The name of a product within its type: a coupon by code and number, a product or an article by
    its product code, an issue by all three. Order lines are looked up by the same key."""
    parts: tuple[object, ...]
    if spec_type is ProductSpecType.COUPON:
        parts = (spec_code, spec_no)
    elif spec_type is ProductSpecType.ISSUE:
        parts = (spec_code, spec_no, product)
    else:
        parts = (product,)
    return "|".join([spec_type.value, *("" if part is None else str(part) for part in parts)])


class ProductEntry(BaseModel):
    """One product of the file; `article` entries name the article's product code in `product`."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")

    product_spec_type: ProductSpecType
    product: Code | None = None
    product_spec_code: Code | None = None
    product_spec_no: Annotated[StrictInt, Field(ge=0, le=MAX_ID)] | None = None
    unit_price: Money
    description: Annotated[StrictStr, StringConstraints(max_length=500, pattern=r"^[^\x00]*$")] | None = None

    def missing_fields(self) -> list[str]:
        required = REQUIRED_LINE_FIELDS[self.product_spec_type]
        # An order's article line carries articleDetail.product; the catalogue holds that code.
        names = ["product"] if required == ("articleDetail",) else list(required)
        values = {
            "product": self.product,
            "productSpecCode": self.product_spec_code,
            "productSpecNo": self.product_spec_no,
        }
        return [name for name in names if values[name] is None]


class ProductFile(BaseModel):
    model_config = ConfigDict(extra="ignore")

    products: list[ProductEntry] = Field(max_length=1_000_000)


def parse_products(document: Any) -> list[ProductEntry]:
    """The products of an import file, or InvalidInput naming each entry at fault."""
    try:
        parsed = ProductFile.model_validate(document)
    except ValidationError as error:
        errors: dict[str, list[str]] = {}
        for item in error.errors():
            where = ".".join(str(part) for part in item["loc"]) or "$"
            errors.setdefault(where, []).append(item["msg"])
        raise InvalidInput(errors) from error
    problems = {
        f"products.{index}": [f"{' and '.join(missing)} required for the {entry.product_spec_type} product"]
        for index, entry in enumerate(parsed.products)
        if (missing := entry.missing_fields())
    }
    if problems:
        raise InvalidInput(problems)
    return parsed.products


async def import_products(connection: AsyncConnection, document: Any, now: datetime) -> int:
    """Add the file's products to the catalogue, replacing price and description of those already
    there (same type and codes); importing the same file twice changes nothing. Returns the count."""
    rows: dict[str, dict[str, Any]] = {}
    for entry in parse_products(document):
        key = catalog_key(
            entry.product_spec_type, entry.product, entry.product_spec_code, entry.product_spec_no
        )
        rows[key] = {
            "catalog_key": key,
            "product_spec_type": entry.product_spec_type.value,
            "product": entry.product,
            "product_spec_code": entry.product_spec_code,
            "product_spec_no": entry.product_spec_no,
            "unit_price": entry.unit_price,
            "description": entry.description,
            "updated_at": now,
        }
    await upsert(connection, purchase_product, list(rows.values()), ["catalog_key"], keep=["id"])
    return len(rows)
