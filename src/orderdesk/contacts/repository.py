"""Queries of the contact register; the caller owns the transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.contacts.models import Organization, Person
from orderdesk.contacts.tables import contact_organization, contact_person
from orderdesk.core.clock import utcnow
from orderdesk.core.db import upsert


async def upsert_persons(connection: AsyncConnection, persons: Sequence[Person]) -> None:
    now = utcnow()
    rows = [
        {
            "national_identity_number": p.national_identity_number,
            "name": p.name,
            "email": p.email,
            "mobile_number": p.mobile_number,
            "reserved": p.reserved,
            "updated_at": now,
        }
        for p in persons
    ]
    await upsert(connection, contact_person, rows, ["national_identity_number"])


async def upsert_organizations(connection: AsyncConnection, organizations: Sequence[Organization]) -> None:
    now = utcnow()
    rows = [
        {
            "organization_number": o.organization_number,
            "name": o.name,
            "emails": list(o.emails),
            "mobile_numbers": list(o.mobile_numbers),
            "updated_at": now,
        }
        for o in organizations
    ]
    await upsert(connection, contact_organization, rows, ["organization_number"])


async def get_persons(
    connection: AsyncConnection, national_identity_numbers: Iterable[str]
) -> dict[str, Person]:
    """The persons found among the given numbers, keyed by number; a query per 5000 numbers."""
    wanted = sorted(set(national_identity_numbers))
    if not wanted:
        return {}
    result = [
        row
        for chunk in _chunks(wanted)
        for row in await connection.execute(
            select(contact_person).where(contact_person.c.national_identity_number.in_(chunk))
        )
    ]
    return {
        row.national_identity_number: Person(
            national_identity_number=row.national_identity_number,
            name=row.name,
            email=row.email,
            mobile_number=row.mobile_number,
            reserved=bool(row.reserved),
        )
        for row in result
    }


async def get_organizations(
    connection: AsyncConnection, organization_numbers: Iterable[str]
) -> dict[str, Organization]:
    """The organisations found among the given numbers, keyed by number; a query per 5000 numbers."""
    wanted = sorted(set(organization_numbers))
    if not wanted:
        return {}
    result = [
        row
        for chunk in _chunks(wanted)
        for row in await connection.execute(
            select(contact_organization).where(contact_organization.c.organization_number.in_(chunk))
        )
    ]
    return {
        row.organization_number: Organization(
            organization_number=row.organization_number,
            name=row.name,
            emails=list(row.emails or []),
            mobile_numbers=list(row.mobile_numbers or []),
        )
        for row in result
    }


def _chunks(values: list[str], size: int = 5000) -> list[list[str]]:
    """Keep each IN list well below the drivers' limits on bound parameters (asyncpg: 32767)."""
    return [values[start : start + size] for start in range(0, len(values), size)]
