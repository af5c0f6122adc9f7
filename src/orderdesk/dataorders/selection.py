"""What a user picks from the catalogue: a dataset, optionally some of its products (by id or by a
query `productId:(a OR b)`), optionally only files whose name matches a regular expression."""

from __future__ import annotations

import re
from dataclasses import dataclass

from orderdesk.core.errors import InvalidInput

MAX_PATTERN_LENGTH = 500
_QUERY = re.compile(r"\s*productId\s*:\s*(?:\((?P<many>[^()]*)\)|(?P<one>\"[^\"]*\"|[^\s()\"]+))\s*")
_OR = re.compile(r"\s+OR\s+")


@dataclass(frozen=True, slots=True)
class Selection:
    dataset: str
    product_ids: tuple[str, ...] | None
    """None: every product of the dataset."""
    filename_pattern: str | None

    def matches_filename(self, filename: str) -> bool:
        return self.filename_pattern is None or re.fullmatch(self.filename_pattern, filename) is not None


def product_ids_of_query(query: str) -> tuple[str, ...]:
    """`productId:a` or `productId:(a OR "b c" OR d)` -> the ids; InvalidInput naming `query` else."""
    match = _QUERY.fullmatch(query)
    if match is None:
        raise InvalidInput({"query": ["Expected productId:ID or productId:(ID1 OR ID2 ...)."]})
    if match["one"] is not None:
        values = [match["one"]]
    else:
        values = [value for value in _OR.split(match["many"].strip()) if value]
    ids = tuple(value.strip().strip('"') for value in values)
    if not ids or any(not value for value in ids):
        raise InvalidInput({"query": ["The query names no product id."]})
    return ids


def checked_pattern(pattern: str | None) -> str | None:
    """The pattern if Python can compile it; InvalidInput naming `filenameRegExp` else."""
    if pattern is None or pattern == "":
        return None
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise InvalidInput({"filenameRegExp": [f"At most {MAX_PATTERN_LENGTH} characters."]})
    try:
        re.compile(pattern)
    except re.error as error:
        raise InvalidInput({"filenameRegExp": [f"Not a regular expression: {error}."]}) from error
    return pattern
