"""FastAPI dependencies of the data-order routes: the family's settings group, the staging area and
the order-token key, built once by `create_app` (see orderdesk.web.deps)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request

from orderdesk.dataorders.api.order_tokens import OrderTokens
from orderdesk.dataorders.rules.ordering import OrderingRules
from orderdesk.settings import DataOrderSettings
from orderdesk.web.deps import part_of


@dataclass(frozen=True, slots=True)
class DataOrderParts:
    settings: DataOrderSettings
    area: Path
    """Where staged files are kept (in the home)."""
    order_tokens: OrderTokens


async def get_staging_area(request: Request) -> Path:
    return part_of(request, DataOrderParts).area


async def get_ordering_rules(request: Request) -> OrderingRules:
    settings = part_of(request, DataOrderParts).settings
    return OrderingRules(bucket_bytes=settings.bucket_mb * 1024 * 1024)


async def get_order_tokens(request: Request) -> OrderTokens:
    return part_of(request, DataOrderParts).order_tokens


StagingAreaDep = Annotated[Path, Depends(get_staging_area)]
OrderingRulesDep = Annotated[OrderingRules, Depends(get_ordering_rules)]
OrderTokensDep = Annotated[OrderTokens, Depends(get_order_tokens)]
