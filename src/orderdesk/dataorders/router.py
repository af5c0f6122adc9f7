"""HTTP endpoints of data orders under `/api/v1/rs-order`. So far: the basket."""

from __future__ import annotations

from fastapi import APIRouter, Response

from orderdesk.auth.errors import Forbidden, Unauthenticated
from orderdesk.core.errors import InvalidInput
from orderdesk.dataorders import service
from orderdesk.dataorders.errors import DatasetNotFound, EmptySelection
from orderdesk.dataorders.models import Basket
from orderdesk.dataorders.schemas import BasketExt, BasketSelectionExt, BasketSelectionRequest
from orderdesk.web.deps import DatabaseDep, DataUserDep, NowDep
from orderdesk.web.problems import openapi_responses

PREFIX = "/api/v1/rs-order"
router = APIRouter(prefix=PREFIX, tags=["Data orders: basket"])
_AUTH = openapi_responses(Unauthenticated, Forbidden)


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


def _json(basket: Basket) -> Response:
    return Response(_basket_ext(basket).model_dump_json(by_alias=True), media_type="application/json")


@router.get(
    "/order/basket",
    response_model=BasketExt,
    responses=_AUTH,
    summary="The user's basket",
)
async def get_basket(database: DatabaseDep, user: DataUserDep) -> Response:
    async with database.transaction() as connection:
        return _json(await service.get_basket(connection, user.email))


@router.post(
    "/order/basket/selection",
    response_model=BasketExt,
    responses={
        **_AUTH,
        **openapi_responses(InvalidInput, DatasetNotFound),
        204: {"description": "The selection holds no file (e.g. unknown product ids); nothing was added."},
    },
    summary="Add a selection of catalogue files to the basket",
)
async def add_selection(
    body: BasketSelectionRequest, database: DatabaseDep, user: DataUserDep, now: NowDep
) -> Response:
    try:
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
    except EmptySelection:
        return Response(status_code=204)
    return _json(basket)


@router.delete(
    "/order/basket",
    status_code=204,
    response_class=Response,
    responses=_AUTH,
    summary="Empty the basket",
)
async def empty_basket(database: DatabaseDep, user: DataUserDep) -> Response:
    async with database.transaction() as connection:
        await service.empty_basket(connection, user.email)
    return Response(status_code=204)
