"""The API's documentation pages, Swagger UI at `/docs` and ReDoc at `/redoc`, with their scripts and
styles served by orderdesk itself from `static/docs/` (versions and how to update them in its
README.md): FastAPI's own pages load them from a CDN and stay blank on an installation offline."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

SWAGGER_UI_PATH = "/docs"
REDOC_PATH = "/redoc"
ASSETS_PATH = "/docs/static"
_OAUTH2_REDIRECT_PATH = "/docs/oauth2-redirect"
_ASSETS = Path(__file__).with_name("static") / "docs"


def _root(request: Request) -> str:
    """The prefix a proxy mounts orderdesk under (ASGI `root_path`), as FastAPI's own pages use it."""
    return str(request.scope.get("root_path", "")).rstrip("/")


def install_docs(app: FastAPI) -> None:
    """Serve the pages and their assets. The app must be made with `docs_url=None` and
    `redoc_url=None`, or FastAPI's CDN pages would be served at the same paths first."""
    app.mount(ASSETS_PATH, StaticFiles(directory=_ASSETS), name="docs-assets")
    title = f"{app.title} API"

    @app.get(SWAGGER_UI_PATH, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = _root(request)
        return get_swagger_ui_html(
            openapi_url=root + (app.openapi_url or "/openapi.json"),
            title=title,
            swagger_js_url=f"{root}{ASSETS_PATH}/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_PATH}/swagger-ui/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_PATH}/swagger-ui/favicon-32x32.png",
            oauth2_redirect_url=root + _OAUTH2_REDIRECT_PATH,
        )

    @app.get(_OAUTH2_REDIRECT_PATH, include_in_schema=False)
    async def swagger_ui_oauth2_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get(REDOC_PATH, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = _root(request)
        return get_redoc_html(
            openapi_url=root + (app.openapi_url or "/openapi.json"),
            title=title,
            redoc_js_url=f"{root}{ASSETS_PATH}/redoc/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS_PATH}/swagger-ui/favicon-32x32.png",
            with_google_fonts=False,
        )
