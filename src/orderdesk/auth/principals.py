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

    @property
    def is_admin(self) -> bool:
        """An ADMIN reads every user's orders (as the original's administrators do); the orders it
        changes, the basket and the downloads remain its own."""
        return self.role == "ADMIN"


@dataclass(frozen=True, slots=True)
class ApiClient:
    """A client system of the purchase API, authenticated by an access token from `/oauth/token`."""

    client_id: str
