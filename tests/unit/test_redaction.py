"""What the logs keep of a query string or a URL: never the value of a credential."""

from __future__ import annotations

import pytest

from orderdesk.core.redaction import (
    is_sensitive_parameter,
    redacted_addresses,
    redacted_query,
    redacted_url,
)


@pytest.mark.parametrize(
    "name",
    ["orderToken", "token", "access_token", "sig", "secret", "password", "client_secret", "X-Amz-Credential"],
)
def test_is_sensitive_parameter__credential_names__sensitive(name: str) -> None:
    assert is_sensitive_parameter(name)


@pytest.mark.parametrize("name", ["page", "size", "orderId", "fulfillmentStatus", "sendersReference"])
def test_is_sensitive_parameter__ordinary_names__not_sensitive(name: str) -> None:
    assert not is_sensitive_parameter(name)


def test_redacted_query__order_token_among_others__only_its_value_replaced() -> None:
    assert (
        redacted_query("page=2&orderToken=eyJ.a.b&sort=name%20asc")
        == "page=2&orderToken=REDACTED&sort=name%20asc"
    )


def test_redacted_query__encoded_name_and_bare_flag__redacted_and_kept() -> None:
    assert redacted_query("order%54oken=x&flag&Password=p") == "order%54oken=REDACTED&flag&Password=REDACTED"


def test_redacted_query__empty__empty() -> None:
    assert redacted_query("") == ""


def test_redacted_url__userinfo_password_and_query_secret__both_redacted() -> None:
    assert (
        redacted_url("https://user:pw@example.com/check?id=1&sig=abc#frag")
        == "https://user:REDACTED@example.com/check?id=1&sig=REDACTED"
    )


def test_redacted_url__not_a_url__redacted_whole() -> None:
    assert redacted_url("http://[::1") == "REDACTED"


@pytest.mark.parametrize(
    ("error", "shown"),
    [
        ("550 5.1.1 <gone@example.com>: No such user here", "550 5.1.1 <REDACTED>: No such user here"),
        (
            "not an address an SMTP relay accepts: 'a b@x.org'",
            "not an address an SMTP relay accepts: 'a REDACTED'",
        ),
        ("Kannel refused +4799999999: barred", "Kannel refused REDACTED: barred"),
        ("receiver +47 999 99 999 unknown", "receiver REDACTED unknown"),
        ("ConnectionRefusedError: [Errno 111] Connect call failed ('127.0.0.1', 2525)", None),
        ("451 4.3.0 try again at 2026-12-08 14:05:00", None),
    ],
)
def test_redacted_addresses__addresses_and_numbers_go__reply_codes_and_times_stay(
    error: str, shown: str | None
) -> None:
    assert redacted_addresses(error) == (shown if shown is not None else error)
