"""What the data-order endpoints share: the prefix, JSON and page helpers, the order as sent."""

from __future__ import annotations

import math
import uuid
from typing import Annotated

from fastapi import Path, Query

from orderdesk.auth.errors import Forbidden, Unauthenticated
from orderdesk.dataorders.models import DataOrder
from orderdesk.dataorders.schemas import (
    DatasetTaskExt,
    OrderExt,
    PageMetadata,
)
from orderdesk.web.problems import openapi_responses

PREFIX = "/api/v1/rs-order"
AUTH = openapi_responses(Unauthenticated, Forbidden)
OrderId = Annotated[int, Path(ge=1, le=2**31 - 1)]
PageNumber = Annotated[int, Query(ge=0, le=1_000_000)]
PageSize = Annotated[int, Query(ge=1, le=1000)]


def page_metadata(number: int, size: int, total: int) -> PageMetadata:
    return PageMetadata(number=number, size=size, total_elements=total, total_pages=math.ceil(total / size))


def order_ext(order: DataOrder) -> OrderExt:
    return OrderExt(
        id=order.id,
        owner=order.owner,
        label=order.label,
        creation_date=order.created_at,
        expiration_date=order.expires_at,
        percent_completed=order.percent_completed,
        files_in_error_count=order.files_in_error,
        available_files_count=order.available_files,
        status=order.status.value,
        status_date=order.status_changed_at,
        waiting_for_user=order.waiting_for_user,
        correlation_id=order.correlation_id,
        on_success_url=order.on_success_url,
        message=order.message,
        dataset_tasks=[
            DatasetTaskExt(
                dataset_label=part.dataset,
                objects_count=part.products,
                files_count=part.files,
                files_size=part.bytes,
            )
            for part in order.datasets
        ],
    )


def file_uri(base: str, file_id: uuid.UUID) -> str:
    return f"{base}{PREFIX}/orders/files/{file_id}"
