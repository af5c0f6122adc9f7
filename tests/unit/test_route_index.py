"""The route index chooses the route FastAPI's own walk would choose, and leaves the rest to it.

An app of overlapping routes (literal before parameter, the same path under several methods, nested
inclusions, a parameter as the first segment, a mount) is asked the same requests with and without
the index; every answer must be the same: which endpoint answered, the status, `Allow` on a 405, a
redirect for a trailing slash, the not-found answer."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
from fastapi import APIRouter, Depends, FastAPI, Request
from starlette.responses import PlainTextResponse
from starlette.staticfiles import StaticFiles

from orderdesk.app import create_app
from orderdesk.core.db import Database
from orderdesk.settings import Settings
from orderdesk.web import route_index
from orderdesk.web.route_index import RouteIndex

REQUESTS = [
    ("GET", "/api/orders/email"),
    ("POST", "/api/orders/email"),
    ("GET", "/api/orders/42"),
    ("DELETE", "/api/orders/42"),
    ("PUT", "/api/orders/42"),
    ("GET", "/api/orders/42/status"),
    ("GET", "/api/orders/42/status/"),
    ("GET", "/api/orders/"),
    ("GET", "/api/nested/deep/7"),
    ("GET", "/api/nested/deep/seven"),
    ("GET", "/health"),
    ("GET", "/health/"),
    ("GET", "/healthz"),
    ("GET", "/anything"),
    ("GET", "/anything/else"),
    ("GET", "/files/readme.txt"),
    ("GET", "/files/missing.txt"),
    ("GET", "/"),
    ("GET", "/nowhere/at/all"),
    ("GET", "/api"),
]


def _named(name: str) -> Callable[[Request], Awaitable[PlainTextResponse]]:
    async def endpoint(request: Request) -> PlainTextResponse:
        seen = getattr(request.state, "seen", "")
        return PlainTextResponse(f"{name} {dict(request.path_params)} {seen}")

    endpoint.__name__ = name
    return endpoint


async def _mark(request: Request) -> None:
    """An inclusion's dependency: it must run for routes the index hands over too."""
    request.state.seen = "dependency ran"


def _app(tmp_path: Path, *, indexed: bool) -> FastAPI:
    orders = APIRouter(prefix="/orders")
    orders.add_api_route("/email", _named("email_get"), methods=["GET"])
    orders.add_api_route("/email", _named("email_post"), methods=["POST"])
    orders.add_api_route("/{order_id}", _named("order_get"), methods=["GET"])
    orders.add_api_route("/{order_id}", _named("order_delete"), methods=["DELETE"])
    orders.add_api_route("/{order_id}/status", _named("status"), methods=["GET"])
    deep = APIRouter(prefix="/deep")
    deep.add_api_route("/{number:int}", _named("deep_number"), methods=["GET"])
    deep.add_api_route("/{word}", _named("deep_word"), methods=["GET"])
    nested = APIRouter(prefix="/nested")
    nested.include_router(deep)
    api = APIRouter(prefix="/api")
    api.include_router(orders, dependencies=[Depends(_mark)])
    api.include_router(nested)
    health = APIRouter()
    health.add_api_route("/health", _named("health"), methods=["GET"])
    anywhere = APIRouter()
    anywhere.add_api_route("/{first}", _named("first_segment"), methods=["GET"])
    app = FastAPI()
    app.include_router(health)
    app.include_router(api)
    app.include_router(anywhere)
    folder = tmp_path / "files"
    folder.mkdir(exist_ok=True)
    (folder / "readme.txt").write_text("read me")
    app.mount("/files", StaticFiles(directory=folder), name="files")
    if indexed:
        assert route_index.install(app)
    return app


async def _answers(app: FastAPI) -> AsyncIterator[tuple[str, str, int, str, str | None, str | None]]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        for method, path in REQUESTS:
            response = await client.request(method, path)
            yield (
                method,
                path,
                response.status_code,
                response.text,
                response.headers.get("allow"),
                response.headers.get("location"),
            )


async def test_every_request_gets_the_answer_fastapi_alone_gives(tmp_path: Path) -> None:
    walked = [answer async for answer in _answers(_app(tmp_path, indexed=False))]
    indexed = [answer async for answer in _answers(_app(tmp_path, indexed=True))]
    assert indexed == walked
    # The requests reach what they are meant to reach, not merely the same thing both ways.
    answers = {(method, path): (status, text) for method, path, status, text, _, _ in indexed}
    assert answers[("POST", "/api/orders/email")] == (200, "email_post {} dependency ran")
    assert answers[("GET", "/api/orders/42/status")] == (200, "status {'order_id': '42'} dependency ran")
    assert answers[("GET", "/api/nested/deep/7")] == (200, "deep_number {'number': 7} ")
    assert answers[("GET", "/api/nested/deep/seven")] == (200, "deep_word {'word': 'seven'} ")
    assert answers[("GET", "/healthz")] == (200, "first_segment {'first': 'healthz'} ")
    assert answers[("GET", "/files/readme.txt")] == (200, "read me")
    assert answers[("PUT", "/api/orders/42")][0] == 405


def test_orderdesk_routes_through_the_index(settings: Settings, database: Database) -> None:
    """With the FastAPI orderdesk is locked to, the index is in place (another would log and fall
    back to FastAPI's walk, which this test would then point out)."""
    app = create_app(settings, database=database)
    assert isinstance(app.router.middleware_stack, RouteIndex)
