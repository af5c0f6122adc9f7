"""Tables of the contact register."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, String, Table, false

from orderdesk.core.db import UTCDateTime, metadata

contact_person = Table(
    "contact_person",
    metadata,
    Column("national_identity_number", String(11), primary_key=True),
    Column("name", String(300), nullable=True),
    Column("email", String(320), nullable=True),
    Column("mobile_number", String(20), nullable=True),
    Column("reserved", Boolean, nullable=False, server_default=false()),
    Column("updated_at", UTCDateTime, nullable=False),
)

contact_organization = Table(
    "contact_organization",
    metadata,
    Column("organization_number", String(9), primary_key=True),
    Column("name", String(300), nullable=True),
    Column("emails", JSON, nullable=False),
    Column("mobile_numbers", JSON, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)
