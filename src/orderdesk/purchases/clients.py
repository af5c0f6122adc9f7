"""OAuth2 clients of the purchase API: registered once (`orderdesk clients add`), then known by
their id and a secret of which only a salted scrypt hash is kept."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.purchases.tables import api_client

_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
_SCHEME = "scrypt"
MAX_NAME = 200


@dataclass(frozen=True, slots=True)
class NewClient:
    client_id: str
    client_secret: str
    """Shown once, at registration; only its hash is stored."""


async def register_client(connection: AsyncConnection, name: str, now: datetime) -> NewClient:
    client = NewClient(client_id=secrets.token_hex(16), client_secret=secrets.token_urlsafe(32))
    await connection.execute(
        api_client.insert().values(
            client_id=client.client_id,
            name=name[:MAX_NAME],
            secret_hash=hash_secret(client.client_secret),
            created_at=now,
        )
    )
    return client


async def authenticate(connection: AsyncConnection, client_id: str, secret: str) -> bool:
    """Whether `client_id` is registered and `secret` is its secret (time-safe comparison)."""
    row = (
        await connection.execute(select(api_client.c.secret_hash).where(api_client.c.client_id == client_id))
    ).first()
    if row is None:
        hash_secret(secret)  # as long as for a known client: the answer's timing tells nothing
        return False
    return secret_matches(secret, row.secret_hash)


def hash_secret(secret: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, **_SCRYPT)
    return f"{_SCHEME}${_b64(salt)}${_b64(digest)}"


def secret_matches(secret: str, stored: str) -> bool:
    scheme, salt, digest = stored.split("$")
    if scheme != _SCHEME:
        return False
    actual = hashlib.scrypt(secret.encode(), salt=base64.b64decode(salt), **_SCRYPT)
    return hmac.compare_digest(actual, base64.b64decode(digest))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
