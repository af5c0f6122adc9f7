"""What counts as an absolute http(s) URL, for the server and for the OpenAPI document alike (the
condition endpoints and the purchase API's callbackUrl)."""

from __future__ import annotations

import re

import pytest

from orderdesk.core.jsonschema import HTTP_URL_PATTERN, is_http_url


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com",
        "HtTpS://example.com/a%20b?x=%2F#frag",
        "http://user%41:pass@host.example:8080/path",
        "https://[2001:db8:0:0:0:0:0:1]:443/x",
        "https://example.com/a;b=(c)?d=e&f=g*h#frag:@/?",
    ],
)
def test_http_url__well_formed__taken_by_server_and_pattern(url: str) -> None:
    assert is_http_url(url)
    assert re.fullmatch(HTTP_URL_PATTERN, url)


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/%",
        "https://example.com/?q=%Y9",
        "https://example.com/#a^b",
        "https://example.com/a b",
        "https://example.com/{x}",
        "https://example.com/#a#b",
        "https://ex%ample.com/",
        "https://u%zz@example.com/",
        "ftp://example.com/",
        "https://example.com:70000/",
        "/relative",
    ],
)
def test_http_url__malformed__refused_by_server_and_pattern(url: str) -> None:
    assert not is_http_url(url)
    assert re.fullmatch(HTTP_URL_PATTERN, url) is None
