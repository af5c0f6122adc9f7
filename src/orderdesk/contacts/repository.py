"""Queries of the contact register; the caller owns the transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import String, any_, bindparam, delete, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

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
        for chunk in _chunks(connection, wanted)
        for row in await connection.execute(
            select(contact_person).where(_among(connection, contact_person.c.national_identity_number, chunk))
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
        for chunk in _chunks(connection, wanted)
        for row in await connection.execute(
            select(contact_organization).where(
                _among(connection, contact_organization.c.organization_number, chunk)
            )
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


async def delete_person(connection: AsyncConnection, national_identity_number: str) -> bool:
    """Whether a person with that number was there (and is now gone)."""
    person = contact_person.c
    result = await connection.execute(
        delete(contact_person).where(person.national_identity_number == national_identity_number)
    )
    return result.rowcount > 0


async def delete_organization(connection: AsyncConnection, organization_number: str) -> bool:
    """Whether an organisation with that number was there (and is now gone)."""
    organization = contact_organization.c
    result = await connection.execute(
        delete(contact_organization).where(organization.organization_number == organization_number)
    )
    return result.rowcount > 0


def _chunks(connection: AsyncConnection, values: list[str]) -> list[list[str]]:
    """PostgreSQL takes the whole list as one array parameter; SQLite binds each value, and allows
    32766 parameters per statement."""
    size = max(len(values), 1) if connection.dialect.name == "postgresql" else 5000
    return [values[start : start + size] for start in range(0, len(values), size)]


def _among(connection: AsyncConnection, column: ColumnElement[str], values: list[str]) -> ColumnElement[bool]:
    """`column IN values`: on PostgreSQL as `= ANY(:array)`, one parameter however many values."""
    if connection.dialect.name == "postgresql":
        return column == any_(bindparam("values", values, type_=ARRAY(String)))
    return column.in_(values)
