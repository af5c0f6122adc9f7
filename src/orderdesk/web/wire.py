"""What every family's wire layer shares: field paths of validation errors, JSON responses of wire
models, and the validators of storable text and http(s) URLs. One copy, so the families cannot drift."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from fastapi import Response
from pydantic import AfterValidator, BaseModel, TypeAdapter
from pydantic_core import PydanticCustomError

from orderdesk.core import jsonschema
from orderdesk.core.offload import off_loop_if_large
from orderdesk.core.text import is_storable

T = TypeVar("T")

BODY_NOT_JSON = "The request body is not valid JSON."
BODY_MISSING = "A JSON request body is required."
_LOCATIONS = ("body", "query", "path", "header")


def field_path(location: Iterable[int | str], prefix: str = "") -> str:
    """`recipients[0].emailAddress`: names joined by dots, list indexes in brackets, after `prefix`;
    `$` for the whole body."""
    path = prefix
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "$"


def error_field(item: Mapping[str, Any]) -> str:
    """The field a pydantic error item names, without its location (`body`, `query` …)."""
    if item.get("type") == "json_invalid":
        return "$"
    location: Sequence[int | str] = tuple(item.get("loc", ()))
    if location and location[0] in _LOCATIONS:
        location = location[1:]
    return field_path(location)


def error_message(item: Mapping[str, Any]) -> str:
    """The message of a pydantic error item, in words a client of the body understands."""
    if item.get("type") == "json_invalid":
        return BODY_NOT_JSON
    if item.get("type") == "missing" and tuple(item.get("loc", ())) == ("body",):
        return BODY_MISSING
    return str(item.get("msg", "Invalid value."))


def field_errors(items: Iterable[Mapping[str, Any]]) -> dict[str, list[str]]:
    """Each offending field with its messages, in the order pydantic found them."""
    errors: dict[str, list[str]] = {}
    for item in items:
        errors.setdefault(error_field(item), []).append(error_message(item))
    return errors


def json_text(model: BaseModel, *, exclude_none: bool = False) -> str:
    """Wire models serialise by their camelCase aliases."""
    return model.model_dump_json(by_alias=True, exclude_none=exclude_none)


def json_response(
    model: BaseModel,
    status_code: int = 200,
    *,
    headers: Mapping[str, str] | None = None,
    exclude_none: bool = False,
) -> Response:
    return Response(
        json_text(model, exclude_none=exclude_none),
        status_code=status_code,
        media_type="application/json",
        headers=headers,
    )


def storable_text(message: str) -> AfterValidator:
    """Refuses text no database stores (NUL, lone surrogates) with `message`, before it reaches one."""

    def check(value: str) -> str:
        if not is_storable(value):
            raise PydanticCustomError("string_unstorable", message)
        return value

    return AfterValidator(check)


def http_url(message: str) -> AfterValidator:
    """Refuses with `message` what is not an absolute http(s) URL as `jsonschema.HTTP_URL_PATTERN`
    documents it; None passes (optional fields)."""

    def check(value: str | None) -> str | None:
        if value is not None and not jsonschema.is_http_url(value):
            raise PydanticCustomError("url_invalid", message)
        return value

    return AfterValidator(check)


async def json_array_response(
    adapter: TypeAdapter[list[Any]], items: Sequence[T], convert: Callable[[T], Any]
) -> Response:
    """A 200 JSON array of `items`, each turned into its wire model by `convert`: converted and
    encoded off the event loop when they are many (core.offload), so that a long answer holds no
    other request."""

    def render() -> bytes:
        return adapter.dump_json([convert(item) for item in items], by_alias=True, exclude_none=True)

    return Response(await off_loop_if_large(len(items), render), media_type="application/json")
