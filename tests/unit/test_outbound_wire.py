"""What an outbound call puts on the wire for a URL, read by a real listener: the request line (with
the query exactly as `query_as_sent` says, which a callback's signature covers), and the Host and
Authorization headers a receiver sees."""

from __future__ import annotations

import base64
import socket
from collections.abc import AsyncIterator
from contextlib import AbstractContextManager

import pytest

from orderdesk.core.outbound import AddressPolicy, OutboundClient, query_as_sent
from tests.support.raw_listener import raw_listener

_ANSWER = b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"


@pytest.fixture
async def client() -> AsyncIterator[OutboundClient]:
    """A client that may reach both loopbacks, closed after the test."""
    outbound = OutboundClient(AddressPolicy.from_text("127.0.0.0/8,::1/128"))
    yield outbound
    await outbound.aclose()


def capturing(
    family: socket.AddressFamily = socket.AF_INET,
) -> AbstractContextManager[tuple[int, list[bytes]]]:
    """A listener that keeps each request's head and answers 204."""
    return raw_listener(_ANSWER, family)


def header(head: bytes, name: bytes) -> bytes:
    for line in head.split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == name:
            return value.strip()
    raise AssertionError(f"no {name!r} header in {head!r}")


async def test_post__other_port__written_in_the_host_header(client: OutboundClient) -> None:
    with capturing() as (port, heads):
        await client.post(f"http://127.0.0.1:{port}/in", content=b"{}", deadline_seconds=5)
    assert heads[0].split(b"\r\n")[0] == b"POST /in HTTP/1.1"
    assert header(heads[0], b"host") == b"127.0.0.1:%d" % port


async def test_post__ipv6_address__bracketed_in_the_host_header(client: OutboundClient) -> None:
    with capturing(socket.AF_INET6) as (port, heads):
        await client.post(f"http://[::1]:{port}/in", content=b"{}", deadline_seconds=5)
    assert header(heads[0], b"host") == b"[::1]:%d" % port


async def test_credentials_in_the_url__become_basic_authorization(client: OutboundClient) -> None:
    with capturing() as (port, heads):
        await client.post(f"http://us%40er:p%3Ass@127.0.0.1:{port}/in", content=b"{}", deadline_seconds=5)
    assert header(heads[0], b"authorization") == b"Basic " + base64.b64encode(b"us@er:p:ss")


@pytest.mark.parametrize(
    "query",
    ["orderId=7&status=Fulfilled", "a=b c&d=é", "sig=abc%2Bdef%3D&se=2026-12-07T10:00:00Z", "x=%zz&y=1+2"],
)
async def test_get__query_on_the_request_line_is_query_as_sent(query: str, client: OutboundClient) -> None:
    with capturing() as (port, heads):
        url = f"http://127.0.0.1:{port}/hook?{query}"
        await client.get(url, deadline_seconds=5)
    request_line = heads[0].split(b"\r\n")[0]
    assert request_line == b"GET /hook?" + query_as_sent(url) + b" HTTP/1.1"


async def test_get__the_urls_own_escapes__sent_as_written(client: OutboundClient) -> None:
    """A pre-signed URL (or a callback URL with a query of its own) must reach the receiver unchanged."""
    with capturing() as (port, heads):
        await client.get(f"http://127.0.0.1:{port}/hook?q=%7E&shop=a%2Fb&flag", deadline_seconds=5)
    assert heads[0].split(b"\r\n")[0] == b"GET /hook?q=%7E&shop=a%2Fb&flag HTTP/1.1"
