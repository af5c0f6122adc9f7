"""The metalink file of an order (Metalink 4, RFC 5854): every file with its size, MD5 and a link
that carries an order token, so a download tool needs no bearer token; it fetches the list and asks
again while a file answers 202. Refused (404) once no file can come any more: DELETED, EXPIRED,
FAILED."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated, Any
from xml.etree import ElementTree

from fastapi import APIRouter, Query, Response

from orderdesk import __version__
from orderdesk.auth.errors import Unauthenticated
from orderdesk.core.db import Database
from orderdesk.core.errors import InvalidInput
from orderdesk.core.offload import off_loop_if_large
from orderdesk.dataorders.api.common import AUTH, PREFIX, OrderId
from orderdesk.dataorders.api.deps import OrderTokensDep
from orderdesk.dataorders.api.order_tokens import OrderTokens
from orderdesk.dataorders.api.streaming import content_disposition
from orderdesk.dataorders.errors import OrderNotFound
from orderdesk.dataorders.models import OrderFile
from orderdesk.dataorders.rules.names import metalink_filename, unique_name
from orderdesk.dataorders.service import ordering
from orderdesk.web.deps import DatabaseDep, DataUserDep, NowDep, PublicBaseUrlDep
from orderdesk.web.log_context import OrderLoggedRoute
from orderdesk.web.problems import openapi_responses

MEDIA_TYPE = "application/metalink4+xml"
_NAMESPACE = "urn:ietf:params:xml:ns:metalink"

router = APIRouter(prefix=PREFIX, tags=["Data orders"], route_class=OrderLoggedRoute)
_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "Metalink 4 (RFC 5854)", "content": {MEDIA_TYPE: {}}},
}


def render(files: Sequence[OrderFile], link: Callable[[OrderFile], str], published: datetime) -> bytes:
    """The metalink of `files`; `link(file)` is the URL that downloads one."""
    root = ElementTree.Element("metalink", xmlns=_NAMESPACE)
    ElementTree.SubElement(root, "generator").text = f"orderdesk/{__version__}"
    ElementTree.SubElement(root, "published").text = published.strftime("%Y-%m-%dT%H:%M:%SZ")
    names: set[str] = set()
    for file in files:
        name = unique_name(file.filename, names)
        names.add(name)
        entry = ElementTree.SubElement(root, "file", name=name)
        ElementTree.SubElement(entry, "identity").text = file.product_id
        ElementTree.SubElement(entry, "size").text = str(file.size)
        ElementTree.SubElement(entry, "hash", type="md5").text = file.md5
        ElementTree.SubElement(entry, "url").text = link(file)
    document: bytes = ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
    return document


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
        order, files = await ordering.metalink_files(connection, owner, order_id)
    token = tokens.mint(order.id, order.owner, order.expires_at)
    base = f"{base_url}{PREFIX}/orders/public/files"
    document = await off_loop_if_large(
        len(files), lambda: render(files, lambda file: f"{base}/{file.id}?orderToken={token}", now)
    )
    return Response(
        document,
        media_type=MEDIA_TYPE,
        headers={"Content-Disposition": content_disposition(metalink_filename(order_id, now))},
    )
