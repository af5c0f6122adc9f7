"""Domain values of the contact register."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Person:
    national_identity_number: str
    name: str | None = None
    email: str | None = None
    mobile_number: str | None = None
    reserved: bool = False


@dataclass(frozen=True, slots=True)
class Organization:
    organization_number: str
    name: str | None = None
    emails: list[str] = field(default_factory=list)
    mobile_numbers: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ImportSummary:
    persons: int
    organizations: int
