r"""What a user picks from the catalogue: a dataset, optionally some of its products (by id or by a
query `productId:(a OR b)`), optionally only files whose name matches a regular expression.

Users' regular expressions run on RE2, whose matching time grows linearly with the name: with
Python's `re`, a pattern such as `(\w+)+\.txt` takes seconds per long file name and would stall
the server. RE2 has no look-around or back-references; such a pattern is refused as invalid."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

import re2

from orderdesk.core.errors import InvalidInput
from orderdesk.dataorders.models import BasketSelection, Selection

MAX_PATTERN_LENGTH = 500
MAX_PRODUCT_IDS = 10_000
"""Product ids one request may select (`productIds`, or those named in `query` or in all `queries`),
and a basket may hold: every id is looked up and its files listed, so an unbounded list is unbounded
server time (280,000 ids cost 1.6 s). The original's basket upload stops at 1,000 lines."""
MAX_BASKET_SELECTIONS = 100
"""Selections a basket may hold (each one is a query when the basket is shown or ordered)."""
_ID = r'(?:"[^"()\x00]+"|[^\s()"\x00]+)'
QUERY_PATTERN = rf"^\s*productId\s*:\s*(?:{_ID}|\(\s*{_ID}(?:\s+OR\s+{_ID})*\s*\))\s*$"
"""The query grammar, as the OpenAPI document states it: one id, or ids joined by OR in parentheses;
an id is quoted (`"a b"`) or has no white space, quotes or parentheses."""
_QUERY = re.compile(QUERY_PATTERN)
_OR = re.compile(r"\s+OR\s+")


def matches_filename(selection: Selection, filename: str) -> bool:
    return selection.filename_pattern is None or filename_matcher(selection.filename_pattern)(filename)


def selection_of(
    dataset: str, product_ids: list[str] | None, query: str | None, filename_pattern: str | None
) -> Selection:
    """The selection a basket request stands for: product ids given or named by the query (not
    both), the pattern checked; InvalidInput naming the field at fault."""
    if product_ids is not None and query is not None:
        raise InvalidInput({"query": ["Give productIds or a query, not both."]})
    ids = product_ids_of_query(query) if query is not None else product_ids
    return Selection(
        dataset=dataset,
        product_ids=tuple(dict.fromkeys(ids)) if ids is not None else None,
        filename_pattern=checked_pattern(filename_pattern),
    )


def check_room(basket: list[BasketSelection], selection: Selection, field: str) -> None:
    """InvalidInput when the selection would take the basket past its caps (MAX_BASKET_SELECTIONS,
    MAX_PRODUCT_IDS)."""
    if len(basket) >= MAX_BASKET_SELECTIONS:
        message = f"A basket holds at most {MAX_BASKET_SELECTIONS} selections; order or empty it first."
        raise InvalidInput({"selections": [message]})
    held = sum(len(kept.selection.product_ids or ()) for kept in basket)
    adding = len(selection.product_ids or ())
    if held + adding > MAX_PRODUCT_IDS:
        raise InvalidInput(
            {
                field: [
                    f"A basket holds at most {MAX_PRODUCT_IDS} product ids: it holds {held} and this "
                    f"selection names {adding}; order or empty it first."
                ]
            }
        )


def product_ids_of_queries(queries: Sequence[str]) -> list[str]:
    """Every product id the queries name, once, in order; InvalidInput naming each query at fault
    (`queries[i]`)."""
    product_ids: dict[str, None] = {}
    problems: dict[str, list[str]] = {}
    for index, query in enumerate(queries):
        try:
            product_ids.update(dict.fromkeys(product_ids_of_query(query)))
        except InvalidInput as error:
            problems[f"queries[{index}]"] = error.errors["query"]
    if problems:
        raise InvalidInput(problems)
    return list(product_ids)


def product_ids_of_query(query: str) -> tuple[str, ...]:
    """`productId:a` or `productId:(a OR "b c" OR d)` -> the ids; InvalidInput naming `query` else."""
    if _QUERY.match(query) is None:
        raise InvalidInput({"query": ["Expected productId:ID or productId:(ID1 OR ID2 ...)."]})
    ids_part = query.split(":", 1)[1].strip()
    if ids_part.startswith("("):
        values = [value for value in _OR.split(ids_part[1:-1].strip()) if value]
    else:
        values = [ids_part]
    ids = tuple(value.strip().strip('"') for value in values)
    if not ids or any(not value for value in ids):
        raise InvalidInput({"query": ["The query names no product id."]})
    return ids


def checked_pattern(pattern: str | None) -> str | None:
    """The pattern if RE2 can compile it; InvalidInput naming `filenameRegExp` else."""
    if pattern is None or pattern == "":
        return None
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise InvalidInput({"filenameRegExp": [f"At most {MAX_PATTERN_LENGTH} characters."]})
    try:
        _compiled(pattern)
    except re2.error as error:
        reason = (
            error.args[0].decode(errors="replace")
            if error.args and isinstance(error.args[0], bytes)
            else error
        )
        raise InvalidInput(
            {"filenameRegExp": [f"Not a regular expression (RE2 syntax): {reason}."]}
        ) from error
    return pattern


def filename_matcher(pattern: str) -> Callable[[str], bool]:
    """Whether a whole file name matches `pattern` (checked by `checked_pattern`)."""
    compiled = _compiled(pattern)
    return lambda filename: compiled.fullmatch(filename) is not None


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> Any:
    options = re2.Options()
    options.log_errors = False
    return re2.compile(pattern, options)
