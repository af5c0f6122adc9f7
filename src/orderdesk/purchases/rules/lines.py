"""The rules of an order's lines: the catalogue key a line names, and the check of every line against
the catalogue and of their total against the order amount."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from orderdesk.purchases.errors import OrderRejected
from orderdesk.purchases.models import (
    MAX_AMOUNT,
    CatalogProduct,
    DeliveryStatus,
    InvoiceStatus,
    LineOutcome,
    ProductSpecType,
    StoredLine,
)


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


def line_key(line: StoredLine) -> str:
    """The catalogue key an order line names (an article by its articleDetail's product)."""
    product = line.product
    if line.spec_type is ProductSpecType.ARTICLE:
        product = (line.details.get("articleDetail") or {}).get("product")
    return catalog_key(line.spec_type, product, line.spec_code, line.spec_no)


@dataclass(frozen=True, slots=True)
class CheckedLine:
    line_id: int
    product_id: int
    description: str | None
    amount: Decimal


def check_lines(
    lines: Sequence[StoredLine], products: Mapping[str, CatalogProduct], order_amount: Decimal
) -> list[CheckedLine]:
    """Each line must name a catalogue product at the catalogue's price (a line without unitPrice
    takes it), and the lines must add up to the order amount; OrderRejected says which does not."""
    checked = []
    for index, line in enumerate(lines):
        where = f"orderLines[{index}]"
        key = line_key(line)
        product = products.get(key)
        if product is None:
            named = key.split("|", 1)[1].replace("|", "/")
            raise OrderRejected(f"{where}: no {line.spec_type} {named} in the catalogue.")
        price = product.unit_price
        if line.unit_price is not None and line.unit_price != price:
            raise OrderRejected(f"{where}: unitPrice {line.unit_price} differs from the catalogue's {price}.")
        amount = price * line.quantity
        if amount > MAX_AMOUNT:
            raise OrderRejected(f"{where}: the line amount {amount} is too large.")
        checked.append(CheckedLine(line.line_id, product.product_id, product.description, amount))
    total = sum((line.amount for line in checked), Decimal(0))
    if total != order_amount:
        raise OrderRejected(f"orderAmount {order_amount} is not the order lines' total {total}.")
    return checked


def delivered(line: CheckedLine, invoice_number: int) -> LineOutcome:
    """A checked line of a processed order: invoiced and delivered."""
    return LineOutcome(
        line_id=line.line_id,
        product_id=line.product_id,
        description=line.description,
        line_amount=line.amount,
        invoice_number=invoice_number,
        invoice_status=InvoiceStatus.INVOICED,
        delivery_status=DeliveryStatus.DELIVERED,
    )


def cancelled(line: StoredLine) -> LineOutcome:
    """A line of a failed order: not invoiced and cancelled."""
    return LineOutcome(
        line_id=line.line_id,
        product_id=None,
        description=None,
        line_amount=None,
        invoice_number=None,
        invoice_status=InvoiceStatus.NOT_INVOICED,
        delivery_status=DeliveryStatus.CANCELLED,
    )
