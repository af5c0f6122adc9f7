"""Which addresses outbound calls may reach, how a URL's host is read, and the call's own limits
(deadline, answer size, refusal before any connection) against real local listeners."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import socket
from pathlib import Path

import pytest

from orderdesk.core.outbound import (
    AddressPolicy,
    OutboundClient,
    OutboundFailure,
    TargetRefused,
    literal_address,
    parse_networks,
)
from tests.support.http_stub import http_stub
from tests.support.https_server import https_server
from tests.support.slow_listener import slow_listener


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("127.0.0.1.", "127.0.0.1"),
        ("[::1]", "::1"),
        ("::ffff:127.0.0.1", "::ffff:7f00:1"),
        ("fe80::1%eth0", "fe80::1"),
        ("example.com", None),
        ("deadbeef.cafe", None),
        ("localhost", None),
        ("1.2.3.4.5", None),
    ],
)
def test_literal_address__every_spelling_the_resolver_reads(host: str, address: str | None) -> None:
    found = literal_address(host)
    assert (str(found) if found else None) == address


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.1",
        "172.31.255.255",
        "192.168.1.1",
        "100.64.0.1",
        "169.254.169.254",
        "0.0.0.0",
        "224.0.0.1",
        "239.255.255.250",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fd00:ec2::254",
        "fe80::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "64:ff9b::a9fe:a9fe",
        "2002:a9fe:a9fe::",
    ],
)
def test_policy__internal_addresses_refused_by_default(address: str) -> None:
    assert not AddressPolicy().permits(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "64:ff9b::808:808"])
def test_policy__public_addresses_permitted(address: str) -> None:
    assert AddressPolicy().permits(ipaddress.ip_address(address))


def test_policy__allowed_networks_permitted_others_still_refused() -> None:
    policy = AddressPolicy.from_text(" 10.0.0.0/8 , ::1/128,127.0.0.2")
    assert policy.permits(ipaddress.ip_address("10.1.2.3"))
    assert policy.permits(ipaddress.ip_address("::ffff:10.1.2.3"))
    assert policy.permits(ipaddress.ip_address("::1"))
    assert policy.permits(ipaddress.ip_address("127.0.0.2"))
    assert not policy.permits(ipaddress.ip_address("127.0.0.1"))
    assert not policy.permits(ipaddress.ip_address("192.168.0.1"))


def test_parse_networks__a_typo_is_named() -> None:
    assert parse_networks("") == ()
    with pytest.raises(ValueError, match=r"10\.0\.0\.0/33"):
        parse_networks("127.0.0.0/8,10.0.0.0/33")


def test_url_problem__names_only_literal_internal_addresses() -> None:
    policy = AddressPolicy()
    assert policy.url_problem("http://user@0x7f.1:6379/x") is not None
    assert policy.url_problem("http://[::1]/") is not None
    assert policy.url_problem("https://example.com/condition") is None
    assert policy.url_problem("http://localhost/") is None  # a name: checked when called


async def test_get__refused_target__no_connection_made() -> None:
    client = OutboundClient(AddressPolicy())
    try:
        with http_stub() as stub:
            url = stub.answer("/x", 200, "{}")
            with pytest.raises(TargetRefused):
                await client.get(url.replace("127.0.0.1", "localhost"), deadline_seconds=5)
            with pytest.raises(TargetRefused):
                await client.get(url, deadline_seconds=5)
        assert stub.requests == []
    finally:
        await client.aclose()


async def test_get__allowed_name__connects_to_the_address_it_checked() -> None:
    client = OutboundClient(AddressPolicy.from_text("127.0.0.0/8"))
    try:
        with http_stub() as stub:
            url = stub.answer("/x", 200, '{"ok": true}')
            answer = await client.get(url.replace("127.0.0.1", "localhost"), deadline_seconds=5)
        assert (answer.status_code, answer.body) == (200, b'{"ok": true}')
    finally:
        await client.aclose()


async def test_get__answer_dripping_past_the_deadline__failure_at_the_deadline() -> None:
    client = OutboundClient(AddressPolicy.from_text("127.0.0.0/8"))
    try:
        with slow_listener(byte_every_seconds=0.2) as slow:
            started = asyncio.get_running_loop().time()
            with pytest.raises(OutboundFailure, match="within 1 s"):
                await client.get(f"{slow.base_url}/slow", deadline_seconds=1)
            assert asyncio.get_running_loop().time() - started < 5
    finally:
        await client.aclose()


async def test_get__answer_larger_than_the_limit__failure() -> None:
    client = OutboundClient(AddressPolicy.from_text("127.0.0.0/8"), max_answer_bytes=1024)
    try:
        with http_stub() as stub:
            url = stub.answer("/big", 200, "x" * 5000)
            with pytest.raises(OutboundFailure, match="larger than 1024"):
                await client.get(url, deadline_seconds=5)
    finally:
        await client.aclose()


async def test_get__redirect_not_followed() -> None:
    client = OutboundClient(AddressPolicy.from_text("127.0.0.0/8"))
    try:
        with http_stub() as stub:
            url = stub.answer("/moved", 302, "")
            answer = await client.get(url, deadline_seconds=5)
        assert answer.status_code == 302
        assert stub.requests == ["/moved"]
    finally:
        await client.aclose()


def test_localhost_resolves_on_this_machine() -> None:
    """The guard's tests name `localhost`: it must resolve here (to loopback)."""
    assert socket.getaddrinfo("localhost", 80)


async def test_get__https_by_name__certificate_and_host_checked_against_the_name(tmp_path: Path) -> None:
    with https_server(tmp_path) as (port, trusted):
        client = OutboundClient(AddressPolicy.from_text("127.0.0.0/8"), ssl_context=trusted)
        try:
            answer = await client.get(f"https://localhost:{port}/", deadline_seconds=5)
            assert json.loads(answer.body)["host"] == f"localhost:{port}"
            # The certificate names localhost, not the address the connection went to.
            with pytest.raises(OutboundFailure, match=r"CERTIFICATE_VERIFY_FAILED|certificate"):
                await client.get(f"https://127.0.0.1:{port}/", deadline_seconds=5)
        finally:
            await client.aclose()
