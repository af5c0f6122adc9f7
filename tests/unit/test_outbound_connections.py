"""The connections under outbound POSTs (webhooks, signed callbacks) against real local listeners:
TLS by name, kept-alive connections the peer closed, refused connections and handshakes that never
finish all end as an answer or an OutboundFailure, never as a hang or another error."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from orderdesk.core.outbound import AddressPolicy, OutboundClient, OutboundFailure
from tests.support.https_server import https_server
from tests.support.raw_listener import raw_listener
from tests.support.slow_listener import slow_listener
from tests.support.workers import free_port

LOOPBACK = AddressPolicy.from_text("127.0.0.0/8")


@pytest.fixture
async def client() -> AsyncIterator[OutboundClient]:
    """A client that may reach loopback, closed after the test."""
    outbound = OutboundClient(LOOPBACK)
    yield outbound
    await outbound.aclose()


async def test_post__https_by_name__sent_and_answered_over_tls(tmp_path: Path) -> None:
    with https_server(tmp_path) as (port, trusted):
        client = OutboundClient(LOOPBACK, ssl_context=trusted)
        try:
            answer = await client.post(
                f"https://localhost:{port}/hook", content=b'{"a": 1}', deadline_seconds=5
            )
            assert json.loads(answer.body) == {"host": f"localhost:{port}", "received": '{"a": 1}'}
            with pytest.raises(OutboundFailure, match=r"CERTIFICATE_VERIFY_FAILED|certificate"):
                await client.post(f"https://127.0.0.1:{port}/hook", content=b"{}", deadline_seconds=5)
        finally:
            await client.aclose()


_KEPT_ALIVE_ANSWER = b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n"
"""An answer that keeps the connection (HTTP/1.1, no `Connection: close`): the listener hangs up
anyway, and a client that reused the connection would write into a closed socket."""


async def test_post__peer_closed_the_kept_alive_connection__next_post_on_a_new_one(
    client: OutboundClient,
) -> None:
    with raw_listener(_KEPT_ALIVE_ANSWER) as (port, received):
        for _ in range(3):
            answer = await client.post(f"http://127.0.0.1:{port}/hook", content=b"{}", deadline_seconds=5)
            assert answer.status_code == 204
            await asyncio.sleep(0.1)  # the hang-up has arrived before the next post
    assert [head.split(b"\r\n")[0] for head in received] == [b"POST /hook HTTP/1.1"] * 3


async def test_post__nothing_listening__failure(client: OutboundClient) -> None:
    with pytest.raises(OutboundFailure, match="Cannot connect"):
        await client.post(f"http://127.0.0.1:{free_port()}/hook", content=b"{}", deadline_seconds=5)


async def test_post__tls_handshake_never_answered__failure_at_the_deadline(client: OutboundClient) -> None:
    with slow_listener() as silent:  # waits for an HTTP request head, which a TLS hello is not
        started = asyncio.get_running_loop().time()
        url = silent.base_url.replace("http://", "https://")
        with pytest.raises(OutboundFailure, match="within 1 s"):
            await client.post(f"{url}/hook", content=b"{}", deadline_seconds=1)
        assert asyncio.get_running_loop().time() - started < 5
