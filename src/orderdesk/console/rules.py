"""Pure rules of the console: e-mail addresses and passwords, their hashes, and session tokens."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from orderdesk.console.models import MAX_EMAIL_LENGTH, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from orderdesk.core.errors import InvalidInput
from orderdesk.core.text import has_control_characters

# argon2-cffi's defaults (RFC 9106's second recommendation, 64 MiB of memory): memory-hard, so a
# stolen table is expensive to guess at even on graphics cards. Its parameters go into each hash.
_hasher = PasswordHasher()
_UNKNOWN_ACCOUNT_HASH = _hasher.hash(secrets.token_urlsafe(16))


def operator_email(email: str) -> str:
    """The address, trimmed and lower-cased (one operator per mailbox, however it is typed);
    InvalidInput naming EMAIL unless it looks like an address."""
    value = email.strip().lower()
    local, at, domain = value.partition("@")
    if (
        not at
        or not local
        or "." not in domain
        or len(value) > MAX_EMAIL_LENGTH
        or any(character.isspace() for character in value)
        or has_control_characters(value)
    ):
        raise InvalidInput(
            {"EMAIL": [f"An e-mail address of at most {MAX_EMAIL_LENGTH} characters is required."]}
        )
    return value


def check_new_password(password: str, repeated: str) -> None:
    """InvalidInput naming the field unless the password is long enough and typed the same twice."""
    if len(password) < MIN_PASSWORD_LENGTH or len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(
            {"password": [f"A password of at least {MIN_PASSWORD_LENGTH} characters is required."]}
        )
    if password != repeated:
        raise InvalidInput({"repeated": ["The two passwords differ."]})


def one_time_password() -> str:
    """A generated password of 24 URL-safe characters (144 random bits)."""
    return secrets.token_urlsafe(18)


def hash_password(password: str) -> str:
    """Argon2id, salted; slow on purpose: call it off the event loop."""
    return _hasher.hash(password)


def password_matches(password_hash: str | None, password: str) -> bool:
    """Whether `password` is the one hashed; None (no such account) takes as long as a wrong password,
    so the time of an answer does not tell which addresses are operators'."""
    try:
        return _hasher.verify(password_hash or _UNKNOWN_ACCOUNT_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def session_token() -> str:
    """The random token of a session cookie (256 bits): unguessable, so it needs no signature."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What is stored of a session token. A fast hash is enough: the token is random, not chosen."""
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token() -> str:
    return secrets.token_urlsafe(32)
