"""A burst beyond what `orderdesk serve` takes at once is answered `503` with `Retry-After` (a client
knows to come back), never a 500 and never a bare 503: the concurrency limit and the database pool
alike."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.processes import Server, serving, wait_until_healthy

BURST = 50


@pytest.fixture
def server(tmp_path: Path, database_env: dict[str, str]) -> Iterator[Server]:
    env = {
        **database_env,
        "ORDERDESK_SERVER_LIMIT_CONCURRENCY": "2",
        "ORDERDESK_DATABASE_POOL_SIZE": "2",
    }
    with serving(tmp_path, env, "--no-worker") as running:
        yield running


@pytest.mark.slow
async def test_serve_burst_past_the_concurrency_limit__2xx_or_503_with_retry_after(server: Server) -> None:
    await wait_until_healthy(server)
    limits = httpx.Limits(max_connections=BURST, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30, limits=limits) as http:
        answers = await asyncio.gather(*(http.get("/health") for _ in range(BURST)))

    statuses = [answer.status_code for answer in answers]
    assert 503 in statuses, statuses  # the limit was reached: the burst tests what it should
    for answer in answers:
        assert answer.status_code == 200 or (
            answer.status_code == 503 and answer.headers.get("Retry-After", "").isdigit()
        ), (answer.status_code, dict(answer.headers), answer.text[:200])
