"""Formats of the identifiers and addresses orders carry: e-mail, mobile number, NIN, org number."""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers

from orderdesk.core.text import has_control_characters

_LETTERS = "A-Za-z0-9\u00e6\u00f8\u00e5\u00c6\u00d8\u00c5"
_ATOM = rf"[{_LETTERS}!#$%&'*+/=?^_`{{|}}~-]+"
# RFC 5322 quoted string: qtext, or a quoted pair of a printable character or a space; never a
# control character (a quoted CR would end the header line it is written in).
_CONTROLS = r"\x00-\x1f\x7f-\x9f\u2028\u2029"
"""What core.text counts as control characters, as the inside of a character class."""
_LOCAL = rf'(?:{_ATOM}(?:\.{_ATOM})*|"(?:[^"\\{_CONTROLS}]|\\[^{_CONTROLS}])+")'
_LABEL = rf"[{_LETTERS}](?:[{_LETTERS}-]{{0,61}}[{_LETTERS}])?"
_IPV4 = r"\[(?:(?:25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\]"
_DOMAIN = rf"(?:(?:{_LABEL}\.)+[A-Za-z]{{2,14}}|{_IPV4})"
_EMAIL = re.compile(rf"{_LOCAL}@{_DOMAIN}")
# White space that `str.strip` removes and JSON Schema's `\s` matches, less the control characters
# and line separators an address may not hold.
_SPACE = r"[ \u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]*"
EMAIL_PATTERN = rf"^{_SPACE}{_LOCAL}@{_DOMAIN}{_SPACE}$"
"""`is_valid_email` as a JSON Schema pattern, for the OpenAPI document."""
BARE_EMAIL_PATTERN = rf"{_LOCAL}@{_DOMAIN}"
"""An address without white space around it, to be part of a larger pattern (a URN holding one)."""
MOBILE_NUMBER_FORMAT = "mobile-number"
"""The OpenAPI `format` of a number libphonenumber holds valid (`normalize_mobile_number`): no
pattern can say which numbers each country assigns."""

# Digits are ASCII only: `\d` alone would also match Arabic-Indic and other Unicode digits.
_NIN = re.compile(r"[0-9]{11}")
_ORG_NUMBER = re.compile(r"[0-9]{9}")
_MOBILE_CHARS = re.compile(r"(?:\+|00)[0-9]+")
_ALPHANUMERIC_SENDER = re.compile(r"[A-Za-z0-9 ._-]{1,11}")
_NUMERIC_SENDER = re.compile(r"\+?[0-9]{1,15}")


def is_valid_email(value: str) -> bool:
    """One address (lists like `a@b;c@d` are refused); Norwegian letters allowed; TLD of 2-14 letters;
    no control character anywhere, not even in a quoted local part or at the ends."""
    if len(value) > 320 or has_control_characters(value):
        return False
    return _EMAIL.fullmatch(value.strip()) is not None


def is_national_identity_number(value: str) -> bool:
    return _NIN.fullmatch(value) is not None


def is_organization_number(value: str) -> bool:
    return _ORG_NUMBER.fullmatch(value) is not None


@lru_cache(maxsize=8192)
def normalize_mobile_number(value: str) -> str | None:
    """The E.164 form of a number given with `+` or `00` and digits only; None if it is not valid.

    Remembered for the most recent numbers: libphonenumber's parse and validation take about 20 µs, a
    tenth of a whole order chain's request when its main notification and reminders go to one number."""
    if not _MOBILE_CHARS.fullmatch(value) or value.startswith("++"):
        return None
    candidate = "+" + value[2:] if value.startswith("00") else value
    try:
        parsed = phonenumbers.parse(candidate, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normalize_register_mobile_number(value: str) -> str | None:
    """Numbers from the register may be national: eight digits starting 4 or 9 are Norwegian."""
    compact = re.sub(r"[\s-]", "", value)
    if re.fullmatch(r"[49][0-9]{7}", compact):
        compact = "+47" + compact
    return normalize_mobile_number(compact)


def is_valid_sms_sender(value: str) -> bool:
    """Operators allow an alphanumeric sender of at most 11 characters, or a phone number."""
    return bool(_NUMERIC_SENDER.fullmatch(value) or _ALPHANUMERIC_SENDER.fullmatch(value))
