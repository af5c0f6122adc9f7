"""Signing what orderdesk posts to a client's endpoint, by the Standard Webhooks specification, so a
receiver verifies it with an off-the-shelf library: `webhook-id` (the same for every attempt of one
event), `webhook-timestamp` (seconds since 1970, of this attempt) and `webhook-signature`, one
`v1,<base64 HMAC-SHA256>` of `id.timestamp.body` per secret in use. Two secrets sign while a secret
is being rotated, so a receiver holding either verifies."""

from __future__ import annotations

import base64
import binascii
import functools
import hmac
import secrets
from collections.abc import Sequence
from datetime import datetime

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
"""256 bits: the HMAC-SHA256 key's own size."""


def new_secret() -> str:
    """A new signing secret, `whsec_` and its key in base64, as the specification's libraries read it."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


@functools.lru_cache(maxsize=4096)
def secret_key(secret: str) -> bytes:
    """The key of a `whsec_` secret; ValueError for anything else (a secret is ours, never a client's)."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError("a signing secret starts with whsec_")
    try:
        return base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except binascii.Error as error:
        raise ValueError("a signing secret's key is base64") from error


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """One `v1,` signature of the message with `secret`."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.digest(secret_key(secret), signed, "sha256")  # one call into C: signed per attempt
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(
    message_id: str, sent_at: datetime, body: bytes, signing_secrets: Sequence[str]
) -> dict[str, str]:
    """The three headers of one attempt to deliver `body`: signed with every secret in use."""
    if not signing_secrets:
        raise ValueError("at least one signing secret")
    timestamp = int(sent_at.timestamp())
    signatures = " ".join(signature(secret, message_id, timestamp, body) for secret in signing_secrets)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signatures,
    }
