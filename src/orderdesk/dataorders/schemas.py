"""Wire models of the data-order API (`/api/v1/rs-order`)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

_NO_NUL = r"^[^\x00]*$"
Name = Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=_NO_NUL)]
Query = Annotated[str, StringConstraints(min_length=1, max_length=100_000, pattern=_NO_NUL)]
Pattern = Annotated[str, StringConstraints(max_length=500, pattern=_NO_NUL)]


class BasketSelectionRequest(BaseModel):
    """A selection of catalogue files: a dataset, optionally some of its products, optionally only
    the files whose whole name matches `filenameRegExp`."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    dataset: Name = Field(description="Name of the dataset (`orderdesk catalog import … --dataset NAME`).")
    product_ids: list[Name] | None = Field(
        default=None, alias="productIds", min_length=1, max_length=10_000, description="Products to take."
    )
    query: (
        Annotated[str, StringConstraints(min_length=1, max_length=100_000, pattern=r"^[^\x00]*$")] | None
    ) = Field(default=None, description="Instead of productIds: `productId:(a OR b)`.")
    filename_regexp: Annotated[str, StringConstraints(max_length=500, pattern=r"^[^\x00]*$")] | None = Field(
        default=None,
        alias="filenameRegExp",
        description="Python regular expression the whole file name must match.",
    )


class BasketSelectionExt(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: UUID
    dataset: str
    product_ids: list[str] | None = Field(serialization_alias="productIds")
    filename_regexp: str | None = Field(serialization_alias="filenameRegExp")
    products_count: int = Field(serialization_alias="productsCount")
    files_count: int = Field(serialization_alias="filesCount")
    files_size: int = Field(serialization_alias="filesSize")


class BasketExt(BaseModel):
    """The user's basket: what `POST /user/orders` would order now."""

    model_config = ConfigDict(populate_by_name=True)

    owner: str
    selections: list[BasketSelectionExt]
    files_count: int = Field(serialization_alias="filesCount")
    files_size: int = Field(serialization_alias="filesSize")
