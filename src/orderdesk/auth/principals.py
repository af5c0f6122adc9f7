"""The callers the API knows, as verified from their tokens."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, slots=True)
class ServiceOwner:
    """An organisation placing notification orders; `org` is the creator of its orders."""

    org: str
    via: Literal["bearer", "platform"]


DATA_USER_ROLES = ("REGISTERED_USER", "ADMIN")


@dataclass(frozen=True, slots=True)
class DataUser:
    """A person ordering data files; `email` owns their basket and orders."""

    email: str
    role: str


@dataclass(frozen=True, slots=True)
class ApiClient:
    """A client system of the purchase API, authenticated by an access token from `/oauth/token`."""

    client_id: str
