"""Formats of e-mail addresses, mobile numbers, identity numbers and SMS senders."""

from __future__ import annotations

import pytest

from orderdesk.core.addresses import (
    is_national_identity_number,
    is_organization_number,
    is_valid_email,
    is_valid_sms_sender,
    normalize_mobile_number,
    normalize_register_mobile_number,
)


@pytest.mark.parametrize(
    "address",
    [
        "recipient@domain.com",
        "ola.nordmann@example.no",
        "æøå.ÆØÅ@dømene.no",
        '"john doe"@example.com',
        "user@[192.168.0.1]",
        "first+tag@sub.domain.museum",
        "user@domain.abcdefghijklmn",
        "  padded@domain.com  ",
    ],
)
def test_is_valid_email__well_formed_address__accepted(address: str) -> None:
    assert is_valid_email(address)


@pytest.mark.parametrize(
    "address",
    [
        "a@b;c@d",
        "a@b.no;c@d.no",
        "user@domain",
        "user@domain.c",
        "user@domain.abcdefghijklmno",
        "us er@domain.com",
        "user@do main.com",
        "user@ domain.com",
        "user.domain.com",
        "@domain.com",
        "user@",
        "user@[999.0.0.1]",
        "user@[\u0661\u0662.0.0.1]",
        "",
    ],
)
def test_is_valid_email__malformed_address__refused(address: str) -> None:
    assert not is_valid_email(address)


def test_is_valid_email__longer_than_320_characters__refused() -> None:
    assert not is_valid_email("a" * 64 + "@" + ("b" * 60 + ".") * 5 + "no")


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("+4799999999", "+4799999999"),
        ("004799999999", "+4799999999"),
        ("+4740000000", "+4740000000"),
        ("+46701234567", "+46701234567"),
    ],
)
def test_normalize_mobile_number__valid_number__returns_e164(number: str, expected: str) -> None:
    assert normalize_mobile_number(number) == expected


@pytest.mark.parametrize(
    "number",
    [
        "+47 123",
        "+47 99999999",
        "++4799999999",
        "+47abcdefgh",
        "+47999x9999",
        "+4712",
        "+47",
        "4799999999",
        "99999999",
        "+47999999999",
        "0+4799999999",
        "",
        "+\u0664\u0667\u0669\u0669\u0669\u0669\u0669\u0669\u0669\u0669",
    ],
)
def test_normalize_mobile_number__invalid_number__refused(number: str) -> None:
    assert normalize_mobile_number(number) is None


@pytest.mark.parametrize(
    ("number", "expected"),
    [("99999999", "+4799999999"), ("40000000", "+4740000000"), ("999 99 999", "+4799999999")],
)
def test_normalize_register_mobile_number__eight_norwegian_digits__gets_country_code(
    number: str, expected: str
) -> None:
    assert normalize_register_mobile_number(number) == expected


@pytest.mark.parametrize("nin", ["07837399275", "00000000000"])
def test_is_national_identity_number__eleven_digits__accepted(nin: str) -> None:
    assert is_national_identity_number(nin)


@pytest.mark.parametrize(
    "nin",
    ["0783739927", "078373992751", "0783739927a", " 07837399275", "07837399275\n", "", "٠٧٨٣٧٣٩٩٢٧٥"],
)
def test_is_national_identity_number__not_eleven_ascii_digits__refused(nin: str) -> None:
    assert not is_national_identity_number(nin)


def test_is_organization_number__nine_digits__accepted() -> None:
    assert is_organization_number("311000179")


@pytest.mark.parametrize("number", ["31100017", "3110001790", "31100017x", "311 000 179", "", "٣١١٠٠٠١٧٩"])
def test_is_organization_number__not_nine_ascii_digits__refused(number: str) -> None:
    assert not is_organization_number(number)


@pytest.mark.parametrize("sender", ["Altinn", "A", "ABCDEFGHIJK", "Altinn-test", "Org 123", "a.b_c"])
def test_is_valid_sms_sender__at_most_eleven_alphanumerics__accepted(sender: str) -> None:
    assert is_valid_sms_sender(sender)


@pytest.mark.parametrize("sender", ["12345678", "+4799999999", "4799999999", "26112"])
def test_is_valid_sms_sender__numeric_sender__accepted(sender: str) -> None:
    assert is_valid_sms_sender(sender)


@pytest.mark.parametrize(
    "sender", ["ABCDEFGHIJKL", "Altinn-tests", "", "Altinn!", "Ålesund", "+1234567890123456", "Altinn\n"]
)
def test_is_valid_sms_sender__too_long_or_odd_characters__refused(sender: str) -> None:
    assert not is_valid_sms_sender(sender)


@pytest.mark.parametrize(
    "address",
    [
        '"a\\\rBcc: evil@attacker.example"@example.com',
        '"a\\\nb"@example.com',
        '"a\tb"@example.com',
        '"a\\\x00"@example.com',
        "ola@example.com\r\n",
        "\nola@example.com",
        "ola@example.com\u2028",
        "ola@example.com\x85",
    ],
)
def test_is_valid_email__control_character_anywhere__refused(address: str) -> None:
    assert not is_valid_email(address)


def test_is_valid_email__quoted_pair_of_a_printable_character__accepted() -> None:
    assert is_valid_email('"a\\"b"@example.com')
