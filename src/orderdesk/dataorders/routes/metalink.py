"""The metalink file of an order: every file with a link that carries an order token, so a download
tool needs no bearer token. Refused (404) once no file can come any more: DELETED, EXPIRED, FAILED."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from orderdesk.auth.errors import Unauthenticated
from orderdesk.core.db import Database
from orderdesk.core.errors import InvalidInput
from orderdesk.core.offload import off_loop_if_large
from orderdesk.dataorders import metalink, ordering, repository
from orderdesk.dataorders.deps import OrderTokensDep
from orderdesk.dataorders.errors import OrderNotFound
from orderdesk.dataorders.models import GONE, OrderStatus
from orderdesk.dataorders.order_tokens import OrderTokens
from orderdesk.dataorders.routes.common import AUTH, PREFIX, OrderId
from orderdesk.dataorders.routes.streaming import content_disposition
from orderdesk.web.deps import DatabaseDep, DataUserDep, NowDep, PublicBaseUrlDep
from orderdesk.web.problems import openapi_responses

router = APIRouter(prefix=PREFIX, tags=["Data orders"])
_NO_FILES_TO_COME = (*GONE, OrderStatus.FAILED.value)
_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "Metalink 4 (RFC 5854)", "content": {metalink.MEDIA_TYPE: {}}},
}


@router.get(
    "/user/orders/metalink/download",
    response_class=Response,
    responses={**_RESPONSES, **openapi_responses(InvalidInput, Unauthenticated, OrderNotFound)},
    summary="The metalink file of the order an order token names (no bearer token needed)",
)
async def public_metalink(
    tokens: OrderTokensDep,
    base: PublicBaseUrlDep,
    database: DatabaseDep,
    now: NowDep,
    order_token: Annotated[str, Query(alias="orderToken", max_length=4000)],
) -> Response:
    grant = tokens.verify(order_token)
    return await _metalink(tokens, base, database, grant.owner, grant.order_id, now)


@router.get(
    "/user/orders/{order_id}/metalink/download",
    response_class=Response,
    responses={**_RESPONSES, **AUTH, **openapi_responses(InvalidInput, OrderNotFound)},
    summary="The metalink file of an order: every file, each with a link a download tool can use",
    description="""Lists **all** files of the order with size and MD5. Each link carries an order token valid
until the order expires; a file still being staged answers 202 (ask again). 404 when the order is
DELETED, EXPIRED or FAILED.""",
)
async def user_metalink(
    tokens: OrderTokensDep,
    base: PublicBaseUrlDep,
    order_id: OrderId,
    database: DatabaseDep,
    user: DataUserDep,
    now: NowDep,
) -> Response:
    return await _metalink(tokens, base, database, user.email, order_id, now)


async def _metalink(
    tokens: OrderTokens, base_url: str, database: Database, owner: str, order_id: int, now: datetime
) -> Response:
    async with database.transaction() as connection:
        order = await ordering.owned_order(connection, owner, order_id)
        if order.status in _NO_FILES_TO_COME:
            raise OrderNotFound(f"The order is {order.status}: it has no file to download.")
        files, _total = await repository.order_files(connection, order_id)
    token = tokens.mint(order.id, order.owner, order.expires_at)
    base = f"{base_url}{PREFIX}/orders/public/files"
    document = await off_loop_if_large(
        len(files), lambda: metalink.render(files, lambda row: f"{base}/{row.id}?orderToken={token}", now)
    )
    filename = f"order_{order_id}_{now:%Y-%m-%dT%H_%M_%SZ}.metalink"
    return Response(
        document,
        media_type=metalink.MEDIA_TYPE,
        headers={"Content-Disposition": content_disposition(filename)},
    )
