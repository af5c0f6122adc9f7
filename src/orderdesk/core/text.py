"""Control characters in text that ends up in a header line (e-mail headers, Content-Disposition),
and text no database can store.

C0 and C1 controls (CR, LF, TAB, NUL, ESC, NEL …) and the Unicode line and paragraph separators: each
can end a header line, or be read as doing so by some program along the way, so a value holding one
could add headers of its own (`Bcc:`) or break the response it is written in.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
"""A search in C: a loop over the characters in Python took 0.1 ms for a 2 kB message body."""


def has_control_characters(value: str) -> bool:
    return _CONTROL.search(value) is not None


def replace_control_characters(value: str, replacement: str = " ") -> str:
    return _CONTROL.sub(replacement, value)


def is_storable(value: str) -> bool:
    """Neither NUL (PostgreSQL text refuses it) nor a lone surrogate (no UTF-8 encodes it)."""
    return _UNSTORABLE.search(value) is None


def storable(value: str) -> str:
    """`value` with what no database stores replaced by U+FFFD: text from outside kept as a record."""
    return _UNSTORABLE.sub("\ufffd", value)
