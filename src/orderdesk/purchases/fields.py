"""Value types the purchase API and its catalogue file share: money and the numbers that must fit
their 32-bit columns. Amounts are JSON numbers: a string such as "1E+2" is refused, not converted."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

MAX_ID = 2**31 - 1
"""Order, customer and product numbers are 32-bit integers in the database."""
MAX_AMOUNT = Decimal("9999999999.99")
"""The largest amount a Numeric(12, 2) column holds."""


def _a_number(value: Any) -> Any:
    if isinstance(value, str | bool):
        raise PydanticCustomError("number_type", "Input should be a number.")
    return value


Money = Annotated[
    Decimal,
    BeforeValidator(_a_number),
    Field(ge=0, max_digits=12, decimal_places=2),
    WithJsonSchema({"type": "number", "minimum": 0, "maximum": float(MAX_AMOUNT), "multipleOf": 0.01}),
]
"""Multiples of 0.01: a third decimal is refused, not rounded."""
