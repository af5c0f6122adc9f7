"""The user's basket: add a selection of catalogue files, view it, empty it."""

from __future__ import annotations

from fastapi import APIRouter, Response

from orderdesk.core.errors import InvalidInput
from orderdesk.dataorders.api.common import (
    AUTH,
    PREFIX,
)
from orderdesk.dataorders.errors import (
    DatasetNotFound,
)
from orderdesk.dataorders.models import Basket
from orderdesk.dataorders.schemas import (
    BasketExt,
    BasketSelectionExt,
    BasketSelectionRequest,
)
from orderdesk.dataorders.service import basket as service
from orderdesk.web.deps import DatabaseDep, DataUserDep, NowDep
from orderdesk.web.log_context import OrderLoggedRoute
from orderdesk.web.problems import openapi_responses
from orderdesk.web.wire import json_response

router = APIRouter(prefix=PREFIX, tags=["Data orders: basket"], route_class=OrderLoggedRoute)


def _basket_ext(basket: Basket) -> BasketExt:
    return BasketExt(
        owner=basket.owner,
        selections=[
            BasketSelectionExt(
                id=item.id,
                dataset=item.dataset,
                product_ids=list(item.product_ids) if item.product_ids is not None else None,
                filename_regexp=item.filename_pattern,
                products_count=item.products,
                files_count=item.files,
                files_size=item.bytes,
            )
            for item in basket.selections
        ],
        files_count=basket.files,
        files_size=basket.bytes,
    )


@router.get(
    "/order/basket",
    response_model=BasketExt,
    responses=AUTH,
    summary="The user's basket",
)
async def get_basket(database: DatabaseDep, user: DataUserDep) -> Response:
    async with database.transaction() as connection:
        return json_response(_basket_ext(await service.get_basket(connection, user.email)))


@router.post(
    "/order/basket/selection",
    response_model=BasketExt,
    responses={
        **AUTH,
        **openapi_responses(InvalidInput, DatasetNotFound),
        204: {"description": "The selection holds no file (e.g. unknown product ids); nothing was added."},
    },
    summary="Add a selection of catalogue files to the basket",
)
async def add_selection(
    body: BasketSelectionRequest, database: DatabaseDep, user: DataUserDep, now: NowDep
) -> Response:
    async with database.transaction() as connection:
        basket = await service.add_to_basket(
            connection,
            user.email,
            dataset=body.dataset,
            product_ids=body.product_ids,
            query=body.query,
            filename_pattern=body.filename_regexp,
            now=now,
        )
    if basket is None:
        return Response(status_code=204)
    return json_response(_basket_ext(basket))


@router.delete(
    "/order/basket",
    status_code=204,
    response_class=Response,
    responses=AUTH,
    summary="Empty the basket",
)
async def empty_basket(database: DatabaseDep, user: DataUserDep) -> Response:
    async with database.transaction() as connection:
        await service.empty_basket(connection, user.email)
    return Response(status_code=204)
