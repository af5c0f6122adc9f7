"""Client secrets: hashes with their cost written in, and checks that cost time for unknown clients too."""

from __future__ import annotations

import base64
import hashlib

import pytest

from orderdesk.purchases.rules.secrets import (
    DEFAULT_COST,
    ScryptCost,
    check_secret,
    hash_secret,
    secret_matches,
)

CHEAP = ScryptCost(log2_n=4, r=1, p=1)
"""Cheap enough for a unit test; the format is the same as the default's."""


def test_hash_secret__format__scheme_cost_salt_and_digest() -> None:
    scheme, cost, salt, digest = hash_secret("s3cret", CHEAP).split("$")

    assert (scheme, cost) == ("scrypt", "ln=4,r=1,p=1")
    assert len(base64.b64decode(salt)) == 16
    assert len(base64.b64decode(digest)) == 32


def test_hash_secret__same_secret_twice__salted_differently() -> None:
    assert hash_secret("s3cret", CHEAP) != hash_secret("s3cret", CHEAP)


def test_secret_matches__right_and_wrong_secret() -> None:
    stored = hash_secret("s3cret", CHEAP)

    assert secret_matches("s3cret", stored)
    assert not secret_matches("s3cret ", stored)


def test_secret_matches__older_hash_without_cost__read_with_the_default_cost() -> None:
    salt = b"0123456789abcdef"
    digest = hashlib.scrypt(b"s3cret", salt=salt, n=2**14, r=8, p=1, maxmem=2**26, dklen=32)
    stored = f"scrypt${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"

    assert ScryptCost(14, 8, 1) == DEFAULT_COST
    assert secret_matches("s3cret", stored)
    assert not secret_matches("other", stored)


@pytest.mark.parametrize(
    "stored",
    [
        "bcrypt$ln=4,r=1,p=1$AAAA$AAAA",
        "scrypt$only-two",
        "scrypt$ln=40,r=1,p=1$AAAA$AAAA",
        "scrypt$ln=4,x=1$AAAA$AAAA",
        "scrypt$ln=4,r=1,p=1$not base64!$AAAA",
        "",
    ],
)
def test_secret_matches__malformed_or_out_of_bounds_hash__no_match(stored: str) -> None:
    assert not secret_matches("s3cret", stored)


def test_check_secret__unknown_client__never_a_match() -> None:
    assert not check_secret("s3cret", None)


def test_check_secret__known_client__compares_with_its_hash() -> None:
    stored = hash_secret("s3cret", CHEAP)

    assert check_secret("s3cret", stored)
    assert not check_secret("wrong", stored)


def test_scrypt_cost__parse_and_str__round_trip() -> None:
    assert ScryptCost.parse(str(CHEAP)) == CHEAP


@pytest.mark.parametrize("text", ["ln=0,r=1,p=1", "ln=4,r=65,p=1", "ln=4,r=1,p=0", "ln=4,r=1"])
def test_scrypt_cost__out_of_bounds_or_incomplete__refused(text: str) -> None:
    with pytest.raises((ValueError, KeyError)):
        ScryptCost.parse(text)
