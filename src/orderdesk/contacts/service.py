"""Loading the contact register from its JSON import format; a re-import updates in place."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.contacts import repository
from orderdesk.contacts.models import ImportSummary, Organization, Person
from orderdesk.core.addresses import (
    is_national_identity_number,
    is_organization_number,
    is_valid_email,
    normalize_register_mobile_number,
)
from orderdesk.core.errors import InvalidInput
from orderdesk.core.text import has_control_characters

_CONTROL_MESSAGE = "'{key}' cannot contain control characters such as CR or LF."


def parse_contacts(document: Any) -> tuple[list[Person], list[Organization]]:
    """Read `{"persons": [...], "organizations": [...]}`; every bad entry is named in InvalidInput."""
    errors: dict[str, list[str]] = {}
    if not isinstance(document, dict):
        raise InvalidInput({"$": ["The contacts file must hold a JSON object."]})
    persons = [
        person
        for index, entry in enumerate(_list(document, "persons", errors))
        if (person := _person(entry, f"persons[{index}]", errors)) is not None
    ]
    organizations = [
        organization
        for index, entry in enumerate(_list(document, "organizations", errors))
        if (organization := _organization(entry, f"organizations[{index}]", errors)) is not None
    ]
    _refuse_duplicates(
        document, "persons", "nationalIdentityNumber", [p.national_identity_number for p in persons], errors
    )
    _refuse_duplicates(
        document,
        "organizations",
        "organizationNumber",
        [o.organization_number for o in organizations],
        errors,
    )
    if errors:
        raise InvalidInput(errors)
    return persons, organizations


async def import_contacts(connection: AsyncConnection, document: Any) -> ImportSummary:
    """Validate the whole document first, then upsert it; nothing is written if any entry is bad."""
    persons, organizations = parse_contacts(document)
    await repository.upsert_persons(connection, persons)
    await repository.upsert_organizations(connection, organizations)
    return ImportSummary(persons=len(persons), organizations=len(organizations))


async def find_contact(connection: AsyncConnection, number: str) -> Person | Organization | None:
    """The person (11-digit national identity number) or organisation (9-digit number); None when
    the register has none. InvalidInput for a number of neither kind."""
    number = register_number(number)
    if is_national_identity_number(number):
        return (await repository.get_persons(connection, [number])).get(number)
    return (await repository.get_organizations(connection, [number])).get(number)


async def remove_contact(connection: AsyncConnection, number: str) -> bool:
    """Remove the person or organisation from the register; whether it was there. Orders already
    placed keep the addresses they were given. InvalidInput as `find_contact`."""
    number = register_number(number)
    if is_national_identity_number(number):
        return await repository.delete_person(connection, number)
    return await repository.delete_organization(connection, number)


def register_number(number: str) -> str:
    """The number, trimmed; InvalidInput unless it is a national identity or organization number."""
    number = number.strip()
    if not (is_national_identity_number(number) or is_organization_number(number)):
        message = "A national identity number (11 digits) or an organization number (9 digits) is required."
        raise InvalidInput({"NUMBER": [message]})
    return number


def _list(document: dict[str, Any], key: str, errors: dict[str, list[str]], path: str = "") -> list[Any]:
    """The list under `key`; an error named by its full path (`organizations[0].emails`) if it is none."""
    value = document.get(key, [])
    if not isinstance(value, list):
        errors.setdefault(f"{path}.{key}" if path else key, []).append(f"'{key}' must be a list.")
        return []
    return value


def _refuse_duplicates(
    document: dict[str, Any], key: str, field: str, numbers: list[str], errors: dict[str, list[str]]
) -> None:
    """One entry per number: two entries for one person could only disagree, and PostgreSQL refuses
    to upsert one row twice in a statement."""
    if len(set(numbers)) == len(numbers):
        return
    first_index: dict[str, int] = {}
    for index, entry in enumerate(document.get(key, [])):
        number = entry.get(field) if isinstance(entry, dict) else None
        if not isinstance(number, str):
            continue
        number = number.strip()
        if number in first_index:
            errors.setdefault(f"{key}[{index}].{field}", []).append(
                f"'{number}' is already given in {key}[{first_index[number]}]."
            )
        else:
            first_index[number] = index


def _text(entry: dict[str, Any], key: str, path: str, errors: dict[str, list[str]]) -> str | None:
    value = entry.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        errors.setdefault(f"{path}.{key}", []).append(f"'{key}' must be a string.")
        return None
    if has_control_characters(value):
        # Names go into subjects and addresses into headers of the e-mail sent to this contact.
        errors.setdefault(f"{path}.{key}", []).append(_CONTROL_MESSAGE.format(key=key))
        return None
    return value.strip()


def _person(entry: Any, path: str, errors: dict[str, list[str]]) -> Person | None:
    if not isinstance(entry, dict):
        errors.setdefault(path, []).append("A person must be a JSON object.")
        return None
    nin = _text(entry, "nationalIdentityNumber", path, errors)
    if nin is None or not is_national_identity_number(nin):
        errors.setdefault(f"{path}.nationalIdentityNumber", []).append(
            "A national identity number of 11 digits is required."
        )
        return None
    email = _text(entry, "email", path, errors)
    if email is not None and not is_valid_email(email):
        errors.setdefault(f"{path}.email", []).append("Invalid email address format.")
    mobile = _text(entry, "mobileNumber", path, errors)
    normalized_mobile = normalize_register_mobile_number(mobile) if mobile else None
    if mobile and normalized_mobile is None:
        errors.setdefault(f"{path}.mobileNumber", []).append("Invalid mobile number.")
    reserved = entry.get("reserved", False)
    if not isinstance(reserved, bool):
        errors.setdefault(f"{path}.reserved", []).append("'reserved' must be true or false.")
        reserved = False
    return Person(
        national_identity_number=nin,
        name=_text(entry, "name", path, errors),
        email=email,
        mobile_number=normalized_mobile,
        reserved=reserved,
    )


def _organization(entry: Any, path: str, errors: dict[str, list[str]]) -> Organization | None:
    if not isinstance(entry, dict):
        errors.setdefault(path, []).append("An organization must be a JSON object.")
        return None
    number = _text(entry, "organizationNumber", path, errors)
    if number is None or not is_organization_number(number):
        errors.setdefault(f"{path}.organizationNumber", []).append(
            "An organization number of 9 digits is required."
        )
        return None
    emails: list[str] = []
    for index, email in enumerate(_list(entry, "emails", errors, path)):
        if isinstance(email, str) and has_control_characters(email):
            errors.setdefault(f"{path}.emails[{index}]", []).append(_CONTROL_MESSAGE.format(key="emails"))
        elif isinstance(email, str) and is_valid_email(email):
            emails.append(email.strip())
        else:
            errors.setdefault(f"{path}.emails[{index}]", []).append("Invalid email address format.")
    mobiles: list[str] = []
    for index, mobile in enumerate(_list(entry, "mobileNumbers", errors, path)):
        normalized = normalize_register_mobile_number(mobile) if isinstance(mobile, str) else None
        if normalized is None:
            errors.setdefault(f"{path}.mobileNumbers[{index}]", []).append("Invalid mobile number.")
        else:
            mobiles.append(normalized)
    return Organization(
        organization_number=number,
        name=_text(entry, "name", path, errors),
        emails=list(dict.fromkeys(emails)),
        mobile_numbers=list(dict.fromkeys(mobiles)),
    )
