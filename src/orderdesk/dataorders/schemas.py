"""Wire models of the data-order API (`/api/v1/rs-order`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, WithJsonSchema, field_validator
from pydantic.config import JsonDict
from pydantic_core import PydanticCustomError

from orderdesk.core import jsonschema
from orderdesk.core.errors import InvalidInput
from orderdesk.dataorders.models import OrderStatus
from orderdesk.dataorders.rules.selection import MAX_PRODUCT_IDS, QUERY_PATTERN, product_ids_of_query

_NO_NUL = r"^[^\x00]*$"
Name = Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=_NO_NUL)]
Query = Annotated[str, StringConstraints(min_length=1, max_length=100_000, pattern=_NO_NUL)]
Pattern = Annotated[str, StringConstraints(max_length=500, pattern=_NO_NUL)]
ProductQuery = Annotated[
    Query,
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 100_000, "pattern": QUERY_PATTERN}),
]
CorrelationId = Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=_NO_NUL)]

_MAX_IDS_EXTENSION: JsonDict = {"x-maxProductIds": MAX_PRODUCT_IDS}


def _count_ids(queries: list[str]) -> int:
    """Ids the queries name; a malformed query counts none (it is refused on its own terms later)."""
    total = 0
    for query in queries:
        try:
            total += len(product_ids_of_query(query))
        except InvalidInput:
            continue
    return total


def _check_id_count(count: int) -> None:
    if count > MAX_PRODUCT_IDS:
        raise PydanticCustomError(
            "too_many_product_ids",
            "At most {limit} product ids may be selected in one request; {count} were given.",
            {"limit": MAX_PRODUCT_IDS, "count": count},
        )


class BasketSelectionRequest(BaseModel):
    """A selection of catalogue files: a dataset, optionally some of its products, optionally only
    the files whose whole name matches `filenameRegExp`."""

    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        json_schema_extra={
            "not": {"allOf": [jsonschema.given("productIds"), jsonschema.given("query")]},
        },
    )

    dataset: Name = Field(description="Name of the dataset (`orderdesk catalog import … --dataset NAME`).")
    product_ids: list[Name] | None = Field(
        default=None,
        alias="productIds",
        min_length=1,
        max_length=MAX_PRODUCT_IDS,
        description=f"Products to take (at most {MAX_PRODUCT_IDS:,}).",
    )
    query: ProductQuery | None = Field(
        default=None,
        description='Instead of productIds: `productId:a` or `productId:(a OR "b c")`, naming at most '
        f"{MAX_PRODUCT_IDS:,} ids.",
        json_schema_extra=_MAX_IDS_EXTENSION,
    )
    filename_regexp: Pattern | None = Field(
        default=None,
        alias="filenameRegExp",
        description="Regular expression (RE2 syntax: no look-around or back-references) the whole "
        "file name must match.",
        json_schema_extra={"format": "regex"},
    )

    @field_validator("query")
    @classmethod
    def _query_ids(cls, value: str | None) -> str | None:
        if value is not None:
            _check_id_count(_count_ids([value]))
        return value


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


class OrderRequest(BaseModel):
    """Order what the basket holds."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    label: Annotated[str, StringConstraints(min_length=1, max_length=50, pattern=_NO_NUL)] | None = Field(
        default=None, description="Unique per user (a number is added if needed); a dated one by default."
    )
    on_success_url: Annotated[str, StringConstraints(max_length=2000, pattern=_NO_NUL)] | None = Field(
        default=None, alias="onSuccessUrl", description="Kept with the order for the user's front end."
    )


class DatasetTaskExt(BaseModel):
    dataset_label: str = Field(serialization_alias="datasetLabel")
    objects_count: int = Field(serialization_alias="objectsCount", description="Products ordered.")
    files_count: int = Field(serialization_alias="filesCount")
    files_size: int = Field(serialization_alias="filesSize")


class OrderExt(BaseModel):
    """A data order and its progress (statuses: PENDING, RUNNING, PAUSED, EXPIRED, FAILED,
    DONE_WITH_WARNING, DONE, DELETED)."""

    id: int
    owner: str
    label: str
    creation_date: datetime = Field(serialization_alias="creationDate")
    expiration_date: datetime = Field(serialization_alias="expirationDate")
    percent_completed: int = Field(serialization_alias="percentCompleted")
    files_in_error_count: int = Field(serialization_alias="filesInErrorCount")
    available_files_count: int = Field(serialization_alias="availableFilesCount")
    status: str
    status_date: datetime = Field(serialization_alias="statusDate")
    waiting_for_user: bool = Field(serialization_alias="waitingForUser")
    correlation_id: str = Field(serialization_alias="correlationId")
    on_success_url: str | None = Field(serialization_alias="onSuccessUrl")
    message: str | None
    dataset_tasks: list[DatasetTaskExt] = Field(serialization_alias="datasetTasks")


class PageMetadata(BaseModel):
    number: int
    size: int
    total_elements: int = Field(serialization_alias="totalElements")
    total_pages: int = Field(serialization_alias="totalPages")


class OrderPageExt(BaseModel):
    metadata: PageMetadata
    content: list[OrderExt]


class ApplyFilters(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    data_types: list[Literal["RAWDATA", "QUICKLOOK"]] = Field(
        alias="dataTypes",
        min_length=1,
        max_length=2,
        description="Kinds of file to take. Catalogue files imported from folders are all RAWDATA.",
    )
    filename_regexp: Pattern | None = Field(
        default=None,
        alias="filenameRegExp",
        description="Regular expression (RE2 syntax: no look-around or back-references) the whole "
        "file name must match.",
        json_schema_extra={"format": "regex"},
    )


class ApplyRequest(BaseModel):
    """Select and order in one call, without touching the basket."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    queries: list[ProductQuery] = Field(
        min_length=1,
        max_length=1000,
        description="Each `productId:ID` or `productId:(ID1 OR ID2 …)`, over every dataset; at most "
        f"{MAX_PRODUCT_IDS:,} product ids in all the queries together (400 beyond).",
        json_schema_extra=_MAX_IDS_EXTENSION,
    )
    filters: ApplyFilters | None = None
    correlation_id: (
        Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=_NO_NUL)] | None
    ) = Field(default=None, alias="correlationId", description="Yours, returned as is; generated if absent.")
    user: Annotated[str, StringConstraints(max_length=128)] | None = Field(
        default=None, description="Ignored: the order is always the caller's (as in the original)."
    )

    @field_validator("queries")
    @classmethod
    def _queries_ids(cls, value: list[str]) -> list[str]:
        _check_id_count(_count_ids(value))
        return value


class OrderResponseExt(BaseModel):
    """Whether an applied order was GRANTED (200) or DENIED (422), and why."""

    status: Literal["GRANTED", "DENIED"]
    order_id: int | None = Field(serialization_alias="orderId")
    correlation_id: str | None = Field(serialization_alias="correlationId")
    message: str | None = None
    download_link: str | None = Field(serialization_alias="downloadLink")
    error_type: Literal["INVALID_CONTENT", "EMPTY_ORDER"] | None = Field(serialization_alias="errorType")
    errors: dict[str, list[str]] | None = None
    total_sub_orders: int | None = Field(serialization_alias="totalSubOrders")


class AvailableFileExt(BaseModel):
    product_id: str = Field(serialization_alias="productId")
    checksum: str = Field(description="MD5 of the file, hex.")
    file_size: int = Field(serialization_alias="fileSize")
    filename: str
    mime_type: str = Field(serialization_alias="mimeType")
    uri: str = Field(description="Downloads the file (with the same bearer token).")


class AvailableFilesPageExt(BaseModel):
    metadata: PageMetadata
    content: list[AvailableFileExt]


class OrderFileExt(AvailableFileExt):
    id: UUID
    state: str = Field(description="PENDING, AVAILABLE, DOWNLOADED, DOWNLOAD_ERROR or ERROR.")
    error: str | None = Field(description="Why the file is in ERROR or DOWNLOAD_ERROR.")


class OrderFilesPageExt(BaseModel):
    metadata: PageMetadata
    content: list[OrderFileExt]


# The webhook events (dataorders.service.events), as the OpenAPI document's `webhooks` shows them.

StatusName = Annotated[
    str, WithJsonSchema({"type": "string", "enum": [status.value for status in OrderStatus]})
]
_EVENT = ConfigDict(populate_by_name=True)


class DataOrderStatusChangedData(BaseModel):
    model_config = _EVENT

    order_id: int = Field(alias="orderId")
    label: str
    owner: str = Field(description="The e-mail address of the user who placed the order.")
    old_status: StatusName = Field(alias="oldStatus")
    new_status: StatusName = Field(alias="newStatus", description="As the order's `status` shows it.")
    changed_at: datetime = Field(alias="changedAt", description="The order's new `statusDate`.")


class DataOrderStatusChangedEvent(BaseModel):
    """An order's status changed (placing an order is no change: its first event is PENDING to
    RUNNING, or PAUSED, DELETED…)."""

    type: Literal["dataorder.status_changed"]
    timestamp: datetime = Field(description="When it happened (UTC).")
    data: DataOrderStatusChangedData


class DataOrderFilesAvailableData(BaseModel):
    model_config = _EVENT

    order_id: int = Field(alias="orderId")
    label: str
    sub_order_id: int = Field(alias="subOrderId", description="The sub-order staging has just finished.")
    files_available: int = Field(
        alias="filesAvailable", description="Files of the sub-order that wait to be downloaded now."
    )
    files_available_url: str = Field(
        alias="filesAvailableUrl",
        description="`GET` it (with your bearer token) for the order's available files and their links.",
    )
    changed_at: datetime = Field(alias="changedAt")


class DataOrderFilesAvailableEvent(BaseModel):
    """Staging made files of a sub-order available for download."""

    type: Literal["dataorder.files_available"]
    timestamp: datetime = Field(description="When it happened (UTC).")
    data: DataOrderFilesAvailableData
