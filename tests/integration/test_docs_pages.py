"""The documentation pages work offline: `/docs` (Swagger UI) and `/redoc` (ReDoc) name only URLs of
orderdesk itself, and each of those answers with its content."""

from __future__ import annotations

import re
import tomllib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from orderdesk.app import create_app
from orderdesk.settings import DatabaseSettings, Settings

# Every URL a page makes the browser load or call: attributes, and the strings of its inline script.
_URLS = re.compile(
    r"""(?:src|href|spec-url)="([^"]*)"|url: '([^']*)'|window\.location\.origin \+ '([^']*)'"""
)
_CONTENT_TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".png": "image/png",
    ".json": "application/json",
}


@pytest.fixture
async def http(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The pages need no database: an app on an in-memory SQLite it never opens."""
    app = create_app(Settings(home=tmp_path, database=DatabaseSettings(url="sqlite+aiosqlite://")))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        yield client


def _urls(html: str) -> list[str]:
    return [next(group for group in match.groups() if group is not None) for match in _URLS.finditer(html)]


@pytest.mark.parametrize(("page", "expected"), [("/docs", 5), ("/redoc", 3)])
async def test_docs_page__every_url_it_names__served_by_orderdesk(
    http: httpx.AsyncClient, page: str, expected: int
) -> None:
    response = await http.get(page)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    urls = _urls(response.text)
    assert len(urls) == expected, urls
    for url in urls:
        assert url.startswith("/"), url
        assert not url.startswith("//"), url
        asset = await http.get(url)
        assert asset.status_code == 200, url
        suffix = Path(url).suffix
        if suffix:
            assert asset.headers["content-type"].startswith(_CONTENT_TYPES[suffix]), url
        else:
            assert asset.headers["content-type"].startswith("text/html"), url


async def test_docs_pages__no_address_outside_orderdesk(http: httpx.AsyncClient) -> None:
    """No CDN and no web fonts: nothing is loaded from another host."""
    for page in ("/docs", "/redoc"):
        text = (await http.get(page)).text
        assert re.findall(r"https?://", text) == [], page
        assert "fonts.googleapis" not in text


async def test_docs_assets__unknown_file__404_problem(http: httpx.AsyncClient) -> None:
    response = await http.get("/docs/static/swagger-ui/missing.js")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_docs_assets__shipped_with_their_licenses(http: httpx.AsyncClient) -> None:
    for url in ("/docs/static/swagger-ui/LICENSE", "/docs/static/redoc/LICENSE"):
        response = await http.get(url)
        assert response.status_code == 200, url
        assert "License" in response.text or "LICENSE" in response.text, url


def test_docs_assets__every_file__in_the_package_data() -> None:
    """The wheel carries what the pages load: pyproject's package data names every asset."""
    root = Path(__file__).parents[2]
    package = root / "src" / "orderdesk"
    patterns = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"][
        "orderdesk"
    ]
    assets = [path for path in (package / "web" / "static" / "docs").glob("*/*") if path.is_file()]
    assert len(assets) >= 8
    for asset in assets:
        relative = asset.relative_to(package)
        assert any(relative.match(pattern) for pattern in patterns), relative
