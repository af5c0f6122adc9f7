"""Client secrets: only a salted scrypt hash is kept, with its cost written into it; checking a secret
takes time whether or not the client exists."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

_SCHEME = "scrypt"
_DIGEST_BYTES = 32


@dataclass(frozen=True, slots=True)
class ScryptCost:
    """scrypt's work factors, written into each stored hash (`scrypt$ln=14,r=8,p=1$salt$digest`) so
    that raising them later leaves the secrets of existing clients readable."""

    log2_n: int = 14
    r: int = 8
    p: int = 1

    def __str__(self) -> str:
        return f"ln={self.log2_n},r={self.r},p={self.p}"

    @classmethod
    def parse(cls, text: str) -> ScryptCost:
        """Raises ValueError unless `text` is `ln=…,r=…,p=…` within sane bounds."""
        fields = dict(part.split("=", 1) for part in text.split(","))
        cost = cls(log2_n=int(fields["ln"]), r=int(fields["r"]), p=int(fields["p"]))
        if not (1 <= cost.log2_n <= 24 and 1 <= cost.r <= 64 and 1 <= cost.p <= 64):
            raise ValueError(f"scrypt cost out of bounds: {text}")
        return cost

    def digest(self, secret: str, salt: bytes) -> bytes:
        n = 2**self.log2_n
        memory = 128 * self.r * (n + self.p + 2) + 2**20
        return hashlib.scrypt(
            secret.encode(), salt=salt, n=n, r=self.r, p=self.p, maxmem=memory, dklen=_DIGEST_BYTES
        )


DEFAULT_COST = ScryptCost()


def check_secret(secret: str, stored: str | None) -> bool:
    """Whether `secret` matches the `stored` hash (None: an unknown client, never a match).

    CPU-bound (a scrypt run, tens to hundreds of milliseconds): call it off the event loop. An
    unknown client costs a hash as well, so the answer's timing does not tell which ids exist."""
    if stored is None:
        hash_secret(secret)
        return False
    return secret_matches(secret, stored)


def hash_secret(secret: str, cost: ScryptCost = DEFAULT_COST) -> str:
    salt = secrets.token_bytes(16)
    return f"{_SCHEME}${cost}${_b64(salt)}${_b64(cost.digest(secret, salt))}"


def secret_matches(secret: str, stored: str) -> bool:
    """Compare with a stored hash: `scrypt$<cost>$salt$digest`, or the older `scrypt$salt$digest`
    written with the default cost."""
    parts = stored.split("$")
    if parts[0] != _SCHEME or len(parts) not in (3, 4):
        return False
    try:
        cost = ScryptCost.parse(parts[1]) if len(parts) == 4 else DEFAULT_COST
        salt, expected = base64.b64decode(parts[-2]), base64.b64decode(parts[-1])
    except (ValueError, KeyError):
        return False
    return hmac.compare_digest(cost.digest(secret, salt), expected)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
