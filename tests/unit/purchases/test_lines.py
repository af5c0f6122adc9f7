"""The rules of order lines: catalogue keys, the check against the catalogue, and line outcomes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from orderdesk.purchases.errors import OrderRejected
from orderdesk.purchases.models import (
    CatalogProduct,
    DeliveryStatus,
    InvoiceStatus,
    ProductSpecType,
    StoredLine,
)
from orderdesk.purchases.rules.lines import (
    CheckedLine,
    cancelled,
    catalog_key,
    check_lines,
    delivered,
    line_key,
)

COUPON_KEY = "coupon|DT|3011"
TOTE_KEY = "product|TOTE"
PRODUCTS = {
    COUPON_KEY: CatalogProduct(1, COUPON_KEY, Decimal("149.00"), "Daily paper, one month"),
    TOTE_KEY: CatalogProduct(2, TOTE_KEY, Decimal("99.50"), None),
}


def make_line(**overrides: Any) -> StoredLine:
    """A line of one month of the daily paper at no stated price."""
    values: dict[str, Any] = {
        "line_id": 10,
        "order_id": 1,
        "spec_type": ProductSpecType.COUPON,
        "product": None,
        "spec_code": "DT",
        "spec_no": 3011,
        "quantity": 1,
        "unit_price": None,
        "details": {},
    }
    values.update(overrides)
    return StoredLine(**values)


@pytest.mark.parametrize(
    ("spec_type", "product", "code", "number", "key"),
    [
        (ProductSpecType.COUPON, "ignored", "DT", 3011, "coupon|DT|3011"),
        (ProductSpecType.PRODUCT, "TOTE", "ignored", 7, "product|TOTE"),
        (ProductSpecType.ARTICLE, "ART-1", None, None, "article|ART-1"),
        (ProductSpecType.ISSUE, "2026-48", "DT", 3011, "issue|DT|3011|2026-48"),
        (ProductSpecType.COUPON, None, "DT", None, "coupon|DT|"),
    ],
)
def test_catalog_key__each_type__named_by_its_own_fields(
    spec_type: ProductSpecType, product: str | None, code: str | None, number: int | None, key: str
) -> None:
    assert catalog_key(spec_type, product, code, number) == key


def test_line_key__article__named_by_its_article_detail_product() -> None:
    line = make_line(
        spec_type=ProductSpecType.ARTICLE, product="NOT-THIS", details={"articleDetail": {"product": "ART-1"}}
    )

    assert line_key(line) == "article|ART-1"


def test_line_key__article_without_detail__names_no_product() -> None:
    assert line_key(make_line(spec_type=ProductSpecType.ARTICLE, product="X")) == "article|"


def test_check_lines__catalogue_prices_adding_up__each_line_priced() -> None:
    lines = [
        make_line(),
        make_line(line_id=11, spec_type=ProductSpecType.PRODUCT, product="TOTE", quantity=2),
    ]

    checked = check_lines(lines, PRODUCTS, Decimal("348.00"))

    assert checked == [
        CheckedLine(10, 1, "Daily paper, one month", Decimal("149.00")),
        CheckedLine(11, 2, None, Decimal("199.00")),
    ]


def test_check_lines__stated_price_equal_to_the_catalogue__accepted() -> None:
    assert check_lines([make_line(unit_price=Decimal("149"))], PRODUCTS, Decimal(149))[0].amount == 149


def test_check_lines__product_not_in_the_catalogue__rejected_naming_line_and_product() -> None:
    with pytest.raises(OrderRejected) as rejected:
        check_lines([make_line(), make_line(spec_no=9999)], PRODUCTS, Decimal(298))

    assert str(rejected.value) == "orderLines[1]: no coupon DT/9999 in the catalogue."


def test_check_lines__price_unlike_the_catalogue__rejected() -> None:
    with pytest.raises(OrderRejected) as rejected:
        check_lines([make_line(unit_price=Decimal("100.00"))], PRODUCTS, Decimal(100))

    assert str(rejected.value) == "orderLines[0]: unitPrice 100.00 differs from the catalogue's 149.00."


def test_check_lines__line_amount_beyond_the_column__rejected() -> None:
    with pytest.raises(OrderRejected, match=r"^orderLines\[0\]: the line amount .* is too large\.$"):
        check_lines([make_line(quantity=10**9)], PRODUCTS, Decimal(0))


def test_check_lines__total_unlike_the_order_amount__rejected() -> None:
    with pytest.raises(OrderRejected) as rejected:
        check_lines([make_line(), make_line(line_id=11)], PRODUCTS, Decimal(149))

    assert str(rejected.value) == "orderAmount 149 is not the order lines' total 298.00."


def test_delivered__checked_line__invoiced_and_delivered_with_its_product() -> None:
    outcome = delivered(CheckedLine(10, 1, "Daily paper", Decimal(149)), invoice_number=7)

    assert (outcome.line_id, outcome.product_id, outcome.description, outcome.line_amount) == (
        10,
        1,
        "Daily paper",
        Decimal(149),
    )
    assert (outcome.invoice_number, outcome.invoice_status, outcome.delivery_status) == (
        7,
        InvoiceStatus.INVOICED,
        DeliveryStatus.DELIVERED,
    )


def test_cancelled__line_of_a_failed_order__not_invoiced_and_cancelled_without_product() -> None:
    outcome = cancelled(make_line())

    assert (outcome.line_id, outcome.product_id, outcome.line_amount, outcome.invoice_number) == (
        10,
        None,
        None,
        None,
    )
    assert (outcome.invoice_status, outcome.delivery_status) == (
        InvoiceStatus.NOT_INVOICED,
        DeliveryStatus.CANCELLED,
    )
