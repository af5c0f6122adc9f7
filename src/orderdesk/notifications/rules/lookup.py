"""Whom a support look-up asks about, read the way notifications store it: a mobile number in E.164 as
the API normalises it, an e-mail address trimmed as the API keeps it, identity numbers as digits."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from orderdesk.core.addresses import (
    is_national_identity_number,
    is_organization_number,
    is_valid_email,
    normalize_register_mobile_number,
)
from orderdesk.core.errors import InvalidInput


class AddresseeKind(StrEnum):
    """What the look-up is by; each value is also the name of the field that gives it."""

    EMAIL = "email"
    MOBILE_NUMBER = "phone"
    NATIONAL_IDENTITY_NUMBER = "nin"
    ORGANIZATION_NUMBER = "org"


@dataclass(frozen=True, slots=True)
class Addressee:
    """The kind of identifier and the values notifications may store it as."""

    kind: AddresseeKind
    values: tuple[str, ...]


_PROBLEMS = {
    AddresseeKind.EMAIL: "An e-mail address is required, such as ola@example.com.",
    AddresseeKind.MOBILE_NUMBER: "A mobile number with its country code is required, such as +4799999999.",
    AddresseeKind.NATIONAL_IDENTITY_NUMBER: "A national identity number is 11 digits.",
    AddresseeKind.ORGANIZATION_NUMBER: "An organisation number is 9 digits.",
}


def addressee(kind: AddresseeKind, text: str) -> Addressee:
    """The addressee `text` names; InvalidInput naming the field (`kind`) when it is not one.

    A mobile number may be typed with spaces or dashes, or as eight Norwegian digits (as the contact
    register gives them): each reads as the E.164 number the API stores. An e-mail address is stored as
    the client typed it, so it is looked for as typed and in lower case."""
    value = text.strip()
    found: tuple[str, ...] | None = None
    if kind is AddresseeKind.EMAIL and is_valid_email(value):
        found = tuple(dict.fromkeys((value, value.lower())))
    elif kind is AddresseeKind.MOBILE_NUMBER:
        number = normalize_register_mobile_number(value)
        found = (number,) if number is not None else None
    elif (kind is AddresseeKind.NATIONAL_IDENTITY_NUMBER and is_national_identity_number(value)) or (
        kind is AddresseeKind.ORGANIZATION_NUMBER and is_organization_number(value)
    ):
        found = (value,)
    if found is None:
        raise InvalidInput({kind.value: [_PROBLEMS[kind]]})
    return Addressee(kind, found)
