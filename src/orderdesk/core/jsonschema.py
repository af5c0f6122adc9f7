"""JSON Schema fragments for rules across fields, so that an OpenAPI document states every rule the
server enforces (a client generating requests from the document gets none refused for a rule it
could not see)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

JsonSchema = dict[str, Any]


def given(name: str, **constraints: Any) -> JsonSchema:
    """`name` is present, not null, and meets `constraints` (`minLength=1`: not empty)."""
    return {"required": [name], "properties": {name: {"not": {"type": "null"}, **constraints}}}


def not_given(name: str) -> JsonSchema:
    """`name` is absent or null."""
    return {"anyOf": [{"not": {"required": [name]}}, {"properties": {name: {"type": "null"}}}]}


def any_given(*names: str, **constraints: Any) -> JsonSchema:
    """At least one of `names` is present and not null (and meets `constraints`)."""
    return {"anyOf": [given(name, **constraints) for name in names]}


def all_or_none_given(*names: str) -> JsonSchema:
    """Either every one of `names` is given, or none is."""
    return {"anyOf": [{"allOf": [given(name) for name in names]}, {"allOf": [not_given(n) for n in names]}]}


def exactly_one_given(*names: str) -> JsonSchema:
    """Exactly one of `names` is present and not null."""
    return {
        "oneOf": [{"allOf": [given(name), *(not_given(o) for o in names if o != name)]} for name in names]
    }


_PORT = r"(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4})"
_ESCAPE = r"%[0-9A-Fa-f]{2}"
"""A `%` is always the start of a percent-encoded octet (RFC 3986 2.1): `%Y9` is no URI."""
_URL_CHAR = rf"(?:[-A-Za-z0-9._~!$&'()*+,;=:@/?]|{_ESCAPE})"
"""A character of a path, query or fragment (RFC 3986 3.3-3.5): `"<>\\^`{|}` and spaces are no URI's."""
_USERINFO = rf"(?:[!$&-.0-9:;=A-Z_a-z~]|{_ESCAPE})*@"
_HOST = rf"(?:\[(?:[0-9A-Fa-f]{{1,4}}:){{7}}[0-9A-Fa-f]{{1,4}}\]|(?:[!$&-.0-9;=A-Z_a-z~]|{_ESCAPE})+)"
HTTP_URL_PATTERN = (
    rf"^[Hh][Tt][Tt][Pp][Ss]?://(?:{_USERINFO})?{_HOST}(?::{_PORT}?)?(?:[/?]{_URL_CHAR}*)?(?:#{_URL_CHAR}*)?$"
)
"""An absolute http(s) URL as RFC 3986 writes one: its characters, well-formed percent-encoding, a
host, a port in range if any, and at most one fragment."""
_HTTP_URL = re.compile(HTTP_URL_PATTERN)


def is_http_url(value: str) -> bool:
    """Whether `value` is an absolute http(s) URL as HTTP_URL_PATTERN states it, and one the standard
    library can take apart (a host; a port in range): the server takes exactly what the document says."""
    if _HTTP_URL.fullmatch(value) is None:
        return False
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - reading it validates it
    except ValueError:
        return False
    return bool(parts.hostname)


STORABLE_PATTERN = r"^[^\x00]*$"
"""Text a database can store: no NUL. (Nor a lone surrogate, which is no Unicode text and no pattern
can name portably: JSON Schema validators written in Rust or Go cannot even hold one.)"""
NON_BLANK_PATTERN = r"^[^\x00]*[^\s\x00][^\x00]*$"
"""Storable text with something besides white space."""
