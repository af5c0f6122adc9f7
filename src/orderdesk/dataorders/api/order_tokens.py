"""Order tokens: the links of a metalink file must work in a download tool that holds no bearer
token, so each carries a token naming the order and its owner, valid until the order expires
(as the original's `orderToken`). HS256 with a key from the settings or a file in the home."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import jwt

from orderdesk.auth.errors import Unauthenticated
from orderdesk.core.keyfile import load_or_create_key
from orderdesk.settings import DataOrderSettings

KEY_FILE = "dataorder-token.key"
_AUDIENCE = "orderdesk:dataorder"
_ALGORITHM = "HS256"


@dataclass(frozen=True, slots=True)
class OrderGrant:
    order_id: int
    owner: str


@dataclass(frozen=True, slots=True)
class OrderTokens:
    key: bytes

    def mint(self, order_id: int, owner: str, expires_at: datetime) -> str:
        claims = {"aud": _AUDIENCE, "sub": owner, "order": order_id, "exp": expires_at}
        return jwt.encode(claims, self.key, algorithm=_ALGORITHM)

    def verify(self, token: str) -> OrderGrant:
        """The order the token grants; Unauthenticated (401) when it is forged, malformed or expired."""
        try:
            claims = jwt.decode(
                token, self.key, algorithms=[_ALGORITHM], audience=_AUDIENCE, options={"require": ["exp"]}
            )
            order_id, owner = claims["order"], claims["sub"]
        except (jwt.PyJWTError, KeyError) as error:
            raise Unauthenticated(f"The order token is not valid: {error}.") from error
        if not isinstance(order_id, int) or not isinstance(owner, str):
            raise Unauthenticated("The order token is not valid.")
        return OrderGrant(order_id, owner)

    @classmethod
    def from_settings(cls, settings: DataOrderSettings, home: Path) -> OrderTokens:
        secret = settings.token_secret
        if secret is not None:
            return cls(secret.get_secret_value().encode())
        return cls(load_or_create_key(home / KEY_FILE))
