"""OpenAPI links: which operations take the id an answer carries, so that clients (and stateful
test tools) can follow an order from its creation to its reads, changes and deletion."""

from __future__ import annotations

from typing import Any


def operation_ref(path: str, method: str) -> str:
    """A JSON pointer to an operation of this document (RFC 6901: `~` is `~0`, `/` is `~1`)."""
    return "#/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + method.lower()


def links_to(parameter: str, expression: str, *operations: tuple[str, str]) -> dict[str, Any]:
    """The `links` of a response whose `expression` (e.g. `$response.body#/orderId`) is the path
    `parameter` of each of `operations` (method, full path)."""
    return {
        f"{method.upper()} {path}": {
            "operationRef": operation_ref(path, method),
            "parameters": {parameter: expression},
        }
        for method, path in operations
    }
