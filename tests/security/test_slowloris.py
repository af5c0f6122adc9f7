"""A client cannot hold a connection (or the server's memory) by sending its request head slowly or
without end: a real `orderdesk serve` closes it after the head timeout, refuses an oversized head,
and keeps answering everyone else."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.support.processes import Server, serving, wait_until_healthy

HEAD_TIMEOUT_SECONDS = 2
BODY_TIMEOUT_SECONDS = 3
MAX_HEAD_BYTES = 8 * 1024
GIVE_UP_SECONDS = 30
"""Far beyond the head timeout: before the limit, the server held such sockets as long as asked."""


@pytest.fixture
def server(tmp_path: Path, database_env: dict[str, str]) -> Iterator[Server]:
    env = {
        **database_env,
        "ORDERDESK_SERVER_HEAD_TIMEOUT_SECONDS": str(HEAD_TIMEOUT_SECONDS),
        "ORDERDESK_SERVER_MAX_HEAD_BYTES": str(MAX_HEAD_BYTES),
        "ORDERDESK_SERVER_BODY_TIMEOUT_SECONDS": str(BODY_TIMEOUT_SECONDS),
    }
    with serving(tmp_path, env, "--no-worker") as running:
        yield running


async def _connect(server: Server) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    address = urlsplit(server.base_url)
    assert address.hostname is not None
    return await asyncio.open_connection(address.hostname, address.port)


async def _dribble_until_closed(server: Server) -> float:
    """Send a request head one byte a second; the seconds until the server closed the connection."""
    reader, writer = await _connect(server)
    loop = asyncio.get_running_loop()
    started = loop.time()
    writer.write(b"GET /health HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
    try:
        while loop.time() - started < GIVE_UP_SECONDS:
            writer.write(b"a")
            await writer.drain()
            with contextlib.suppress(TimeoutError):
                if await asyncio.wait_for(reader.read(1024), timeout=1.0) == b"":
                    return loop.time() - started
        pytest.fail(f"a head sent one byte a second was still accepted after {GIVE_UP_SECONDS} s")
    except ConnectionError:
        return loop.time() - started
    finally:
        writer.close()


async def _dribble_body_until_closed(server: Server) -> tuple[float, bytes]:
    """Send a whole head announcing a body, then the body one byte a second; the seconds until the
    server closed the connection, and what it answered."""
    reader, writer = await _connect(server)
    loop = asyncio.get_running_loop()
    started = loop.time()
    answer = b""
    writer.write(
        b"POST /oauth/token HTTP/1.1\r\nHost: localhost\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\n"
    )
    try:
        while loop.time() - started < GIVE_UP_SECONDS:
            writer.write(b"a")
            await writer.drain()
            with contextlib.suppress(TimeoutError):
                chunk = await asyncio.wait_for(reader.read(1024), timeout=1.0)
                if chunk == b"":
                    return loop.time() - started, answer
                answer += chunk
        pytest.fail(f"a body sent one byte a second was still accepted after {GIVE_UP_SECONDS} s")
    except ConnectionError:
        return loop.time() - started, answer
    finally:
        writer.close()


@pytest.mark.slow
async def test_serve__body_sent_one_byte_a_second__closed_and_others_answered(server: Server) -> None:
    await wait_until_healthy(server)
    dribbles = [asyncio.create_task(_dribble_body_until_closed(server)) for _ in range(20)]
    await asyncio.sleep(BODY_TIMEOUT_SECONDS / 2)

    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
        meanwhile = await http.get("/health")
        held = await asyncio.gather(*dribbles)
        after = await http.get("/health")

    assert meanwhile.status_code == 200
    assert all(seconds < GIVE_UP_SECONDS for seconds, _ in held), held
    assert all(answer == b"" or answer.startswith(b"HTTP/1.1 408 ") for _, answer in held), held
    assert after.status_code == 200


@pytest.mark.slow
async def test_serve__head_sent_one_byte_a_second__closed_and_others_answered(server: Server) -> None:
    await wait_until_healthy(server)
    dribbles = [asyncio.create_task(_dribble_until_closed(server)) for _ in range(20)]
    await asyncio.sleep(HEAD_TIMEOUT_SECONDS / 2)

    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
        meanwhile = await http.get("/health")
        held = await asyncio.gather(*dribbles)
        after = await http.get("/health")

    assert meanwhile.status_code == 200
    assert all(seconds < GIVE_UP_SECONDS for seconds in held), held
    assert after.status_code == 200


@pytest.mark.slow
async def test_serve__huge_request_head__refused_and_others_answered(server: Server) -> None:
    await wait_until_healthy(server)
    reader, writer = await _connect(server)
    answer = b""
    try:
        writer.write(b"GET /health HTTP/1.1\r\nHost: localhost\r\n")
        for _ in range(64):  # 4 MiB of header, 500 times the limit
            writer.write(b"X-Big: " + b"a" * (64 * 1024 - 9) + b"\r\n")
            await writer.drain()
        writer.write(b"\r\n")
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), timeout=GIVE_UP_SECONDS)
    except ConnectionError:
        pass  # closed while the head was still being sent: refused as well
    finally:
        writer.close()

    assert answer == b"" or answer.split(b" ", 2)[1] in (b"431", b"400"), answer[:200]
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
        assert (await http.get("/health")).status_code == 200
