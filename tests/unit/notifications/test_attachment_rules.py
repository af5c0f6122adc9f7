"""The attachment rules of composed e-mail: hosts, signatures, answers and relay refusals."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from orderdesk.core.outbound import AddressPolicy
from orderdesk.notifications.rules.attachments import (
    DEFAULT_SAS_URL_PATTERN,
    AttachmentHosts,
    DownloadVerdict,
    download_verdict,
    is_size_refusal,
    plain_http_inside,
    sas_url_problems,
)

NOW = datetime(2026, 7, 1, 12, tzinfo=UTC)
AZURE = AttachmentHosts.from_text("*.blob.core.windows.net")
GOOD = "https://acct.blob.core.windows.net/c/a.pdf?sp=r&se=2026-07-01T13:00:00Z&sr=b&sig=abc"


NO_NETWORKS = AddressPolicy()


def problems(url: str, hosts: AttachmentHosts = AZURE, policy: AddressPolicy = NO_NETWORKS) -> list[str]:
    return sas_url_problems(url, hosts=hosts, plain_http_allowed=plain_http_inside(policy), send_time=NOW)


def test_signed_azure_url__taken__and_matches_the_documented_pattern() -> None:
    assert problems(GOOD) == []
    assert re.fullmatch(DEFAULT_SAS_URL_PATTERN, GOOD)


@pytest.mark.parametrize(
    "url",
    [
        GOOD.replace("https", "http"),
        GOOD.replace("acct.blob.core.windows.net", "blob.core.windows.net.evil.com"),
        GOOD.replace("sp=r", "sp=w"),
        GOOD.replace("sr=b", "sr=c"),
        GOOD.replace("&sig=abc", ""),
        GOOD.replace("13:00", "12:10"),
        GOOD + "#fragment",
    ],
)
def test_refused_url__refused_by_the_rules_and_by_the_documented_pattern(url: str) -> None:
    assert problems(url)
    assert re.fullmatch(DEFAULT_SAS_URL_PATTERN, url) is None or "12:10" in url


def test_host_patterns__wildcard_below_only__exact_names_exactly() -> None:
    hosts = AttachmentHosts.from_text("*.example.com, files.test")
    assert hosts.allows("a.example.com")
    assert hosts.allows("FILES.test")
    assert not hosts.allows("example.com")
    assert not hosts.allows("evilexample.com")


def test_plain_http__only_to_a_literal_address_in_the_allowed_networks() -> None:
    hosts = AttachmentHosts.from_text("127.0.0.1,localhost")
    policy = AddressPolicy.from_text("127.0.0.0/8")
    assert problems("http://127.0.0.1:8000/a.pdf", hosts, policy) == []
    assert problems("http://localhost/a.pdf", hosts, policy)
    assert problems("http://127.0.0.1/a.pdf", hosts, AddressPolicy())


def test_download_answers() -> None:
    assert download_verdict(200) is None
    assert download_verdict(404) is DownloadVerdict.INVALID
    assert download_verdict(302) is DownloadVerdict.INVALID
    assert download_verdict(503) is DownloadVerdict.RETRY
    assert download_verdict(429) is DownloadVerdict.RETRY


@pytest.mark.parametrize(
    ("error", "too_large"),
    [
        ("552 Error: Too much mail data", True),
        ("552 5.3.4 Message size exceeds fixed limit", True),
        ("552 5.2.2 Mailbox full", False),
        ("550 5.1.1 No such user", False),
        (None, False),
    ],
)
def test_size_refusals(error: str | None, too_large: bool) -> None:
    assert is_size_refusal(error) is too_large


def test_expiry_without_zone__read_as_utc() -> None:
    url = GOOD.replace("2026-07-01T13:00:00Z", "2026-07-01T12:14:00")
    assert problems(url)
    assert problems(GOOD.replace("2026-07-01T13:00:00Z", "2026-07-01T15:00:00%2B02:00")) == []
