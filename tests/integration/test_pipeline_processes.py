"""The whole system as users run it: `orderdesk serve` alone on SQLite sends an order through the
outbox; on PostgreSQL, an API started with `--no-worker` and a separate `orderdesk worker` do the
same. Polling is turned off (an hour) so the orders can only go out because the workers are woken
when an order is stored: in-process on SQLite, by LISTEN/NOTIFY across processes on PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.conftest import POSTGRES_URL
from tests.factories.notifications import email_order, sms_order
from tests.integration.test_serve_process import API, mint_token
from tests.support.processes import (
    fresh_postgres_database,
    orderdesk_process,
    serving,
    wait_until_healthy,
)

pytestmark = pytest.mark.slow

_DEADLINE_SECONDS = 60.0
NO_POLLING = {
    "ORDERDESK_WORKER_POLL_SECONDS": "3600",
    # SMS keep to a daytime window; open it all day so the test does not depend on the hour.
    "ORDERDESK_SMS_WINDOW_START_HOUR": "0",
    "ORDERDESK_SMS_WINDOW_END_HOUR": "24",
}


@contextmanager
def working(home: Path, env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    """`orderdesk worker`, stopped with SIGTERM when the block ends."""
    with orderdesk_process(home, ["worker"], env, home / "worker.log") as process:
        yield process


async def until_sent(http: httpx.AsyncClient, order_id: str, channel: str, log: Path) -> None:
    """Until the order's notifications on `channel` were all sent (v1 shows "Completed" earlier: as
    soon as the notifications exist)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + _DEADLINE_SECONDS
    while True:
        response = await http.get(f"{API}/orders/{order_id}/notifications/{channel}")
        body = response.json()
        if body["generated"] and body["succeeded"] == body["generated"]:
            return
        if loop.time() > deadline:
            pytest.fail(f"order {order_id} not completed: {response.text}\n{log.read_text()}")
        await asyncio.sleep(0.1)


async def place_both(http: httpx.AsyncClient) -> list[str]:
    ids = []
    for path, body in (
        (
            "/orders/email",
            email_order(requestedSendTime=None, recipients=[{"emailAddress": "a@example.com"}]),
        ),
        ("/orders/sms", sms_order(requestedSendTime=None, recipients=[{"mobileNumber": "+4791234567"}])),
    ):
        placed = await http.post(f"{API}{path}", json=body)
        assert placed.status_code == 202, placed.text
        ids.append(placed.json()["orderId"])
    return ids


def assert_in_outbox(home: Path) -> None:
    [eml] = list((home / "outbox" / "email" / "new").glob("*.eml"))
    assert "To: a@example.com" in eml.read_text()
    [line] = (home / "outbox" / "sms.jsonl").read_text().splitlines()
    assert json.loads(line)["to"] == "+4791234567"


async def test_serve_on_sqlite__orders_due_now_reach_the_outbox(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with serving(home, NO_POLLING) as server:
        await wait_until_healthy(server)
        async with httpx.AsyncClient(base_url=server.base_url, headers=mint_token(home, {})) as http:
            email_id, sms_id = await place_both(http)
            await until_sent(http, email_id, "email", server.log)
            await until_sent(http, sms_id, "sms", server.log)
            summary = (await http.get(f"{API}/orders/{email_id}/notifications/email")).json()
    assert summary["notifications"][0]["sendStatus"]["status"] == "Delivered"
    assert_in_outbox(home)


@pytest.mark.skipif(not POSTGRES_URL, reason="needs PostgreSQL (ORDERDESK_TEST_POSTGRES_URL)")
@pytest.mark.postgres
async def test_api_and_separate_worker_on_postgres__worker_woken_by_notify(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {**NO_POLLING, "ORDERDESK_DATABASE_URL": await fresh_postgres_database(POSTGRES_URL, "worker")}
    with serving(home, env, "--no-worker") as server:
        await wait_until_healthy(server)
        with working(home, env) as worker:
            auth = mint_token(home, env)
            async with httpx.AsyncClient(base_url=server.base_url, headers=auth) as http:
                email_id, sms_id = await place_both(http)
                await until_sent(http, email_id, "email", home / "worker.log")
                await until_sent(http, sms_id, "sms", home / "worker.log")
            assert worker.poll() is None
    assert_in_outbox(home)
