"""Contact register documents in the import format, and loading them through our own service."""

from __future__ import annotations

from typing import Any

from orderdesk.contacts.models import ImportSummary
from orderdesk.contacts.service import import_contacts
from orderdesk.core.db import Database

PERSON_WITH_EMAIL = "07837399275"
PERSON_RESERVED = "16069412345"
PERSON_WITHOUT_EMAIL = "14029112345"
PERSON_UNKNOWN = "01010112345"
ORGANIZATION = "311000179"
ORGANIZATION_UNKNOWN = "999999999"


def person(nin: str, **overrides: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "nationalIdentityNumber": nin,
        "name": "Ola Nordmann",
        "email": "ola@example.com",
        "mobileNumber": "+4799999999",
        "reserved": False,
    }
    entry.update(overrides)
    return entry


def organization(number: str, **overrides: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "organizationNumber": number,
        "name": "Example AS",
        "emails": ["post@example.com"],
        "mobileNumbers": ["+4798888888"],
    }
    entry.update(overrides)
    return entry


def register() -> dict[str, Any]:
    """A small register: a reachable person, a reserved one, one with no e-mail, and an organisation."""
    return {
        "persons": [
            person(PERSON_WITH_EMAIL),
            person(PERSON_RESERVED, name="Kari Reservert", email="kari@example.com", reserved=True),
            person(PERSON_WITHOUT_EMAIL, name="Per Uten Epost", email=None, mobileNumber="+4791234567"),
        ],
        "organizations": [organization(ORGANIZATION)],
    }


async def load(database: Database, document: dict[str, Any] | None = None) -> ImportSummary:
    async with database.transaction() as connection:
        return await import_contacts(connection, document if document is not None else register())
