"""Public keys given in settings: PEM text, or the path of a PEM file."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes


def load_public_key(pem_or_path: str) -> PublicKeyTypes:
    """Raises OSError for a file that cannot be read, ValueError (or cryptography's
    UnsupportedAlgorithm) for what is no PEM public key."""
    text = pem_or_path.strip()
    data = text.encode() if text.startswith("-----BEGIN") else Path(text).read_bytes()
    return serialization.load_pem_public_key(data)
