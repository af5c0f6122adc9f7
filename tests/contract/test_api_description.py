"""What the OpenAPI document tells a reader besides the operations: a description of the three families
and how to authenticate to each, one described tag per group of operations, and request bodies that
say they take no field they do not name (`additionalProperties: false`), as the API refuses them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orderdesk.app import create_app
from orderdesk.settings import AuthSettings, DatabaseSettings, Settings

# Bodies not of our own contract: OAuth2 form parameters a server must ignore when it does not know
# them (RFC 6749 §3.2), and the delivery reports of e-mail providers, which are kept as they came.
OPEN_BODIES = {("/oauth/token", "post"), ("/notifications/api/v1/reports/email", "post")}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    app = create_app(
        Settings(
            home=Path("/nonexistent/orderdesk-contract"),
            auth=AuthSettings(trust_local_key=False),
            database=DatabaseSettings(url="sqlite+aiosqlite://"),
        )
    )
    return app.openapi()


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            yield path, method, operation


def _objects(node: Any, schemas: dict[str, Any], where: str, seen: set[str]) -> Iterator[tuple[str, Any]]:
    """Every object schema reachable from `node`, with where it was found."""
    if isinstance(node, list):
        for index, item in enumerate(node):
            yield from _objects(item, schemas, f"{where}[{index}]", seen)
        return
    if not isinstance(node, dict):
        return
    reference = node.get("$ref")
    if isinstance(reference, str) and reference.startswith("#/components/schemas/"):
        name = reference.rsplit("/", 1)[-1]
        if name not in seen:
            seen.add(name)
            yield from _objects(schemas[name], schemas, name, seen)
        return
    if node.get("type") == "object":
        yield where, node
    for key in ("properties", "$defs"):
        for name, child in node.get(key, {}).items():
            yield from _objects(child, schemas, f"{where}.{name}", seen)
    for key in ("items", "anyOf", "oneOf", "allOf", "additionalProperties"):
        if key in node:
            yield from _objects(node[key], schemas, f"{where}.{key}", seen)


def test_request_bodies__every_object__refuses_fields_it_does_not_name(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    checked = 0
    for path, method, operation in _operations(document):
        if "requestBody" not in operation or (path, method) in OPEN_BODIES:
            continue
        for media_type in operation["requestBody"]["content"].values():
            for where, schema in _objects(media_type["schema"], schemas, f"{method} {path}", set()):
                checked += 1
                assert schema.get("additionalProperties") is False, where
    assert checked > 40


def test_operations__no_tag_twice_and_every_tag_described(document: dict[str, Any]) -> None:
    described = {tag["name"]: tag.get("description", "") for tag in document.get("tags", [])}
    for path, method, operation in _operations(document):
        tags = operation.get("tags", [])
        assert tags, f"{method} {path}"
        assert len(tags) == len(set(tags)), f"{method} {path}: {tags}"
        for tag in tags:
            assert described.get(tag), f"{method} {path}: tag {tag!r} has no description"


def test_description__covers_the_three_families_and_their_credentials(document: dict[str, Any]) -> None:
    description = document["info"]["description"]
    for family in ("/notifications/api/v1", "/api/v1/rs-order", "/capi/v1"):
        assert family in description
    for credentials in (
        "orderdesk token --org",
        "orderdesk token --user",
        "POST /oauth/token",
        "clients add",
    ):
        assert credentials in description
    assert "/redoc" in description
    assert document["info"]["license"]["name"] == "Apache-2.0"
