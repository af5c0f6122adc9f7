"""What `orderdesk serve` writes to its log, read as an operator reads it: JSON lines only when the
output is not a terminal, one access line per request with its status and duration as fields and
the trace id its problem body reports, no credential, and a failing call logged at each try."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.factories.notifications import email_order
from tests.support.http_stub import http_stub
from tests.support.processes import Server, run_orderdesk, serving, wait_until_healthy
from tests.support.purchases_api import CAPI, bearer_of, order_body, shop_home
from tests.support.workers import free_port

pytestmark = pytest.mark.slow

API = "/notifications/api/v1"
_DEADLINE_SECONDS = 30.0


def records(server: Server) -> list[dict[str, Any]]:
    """Every line of the server's output, each parsed as JSON (the test fails on any other line)."""
    lines = server.log.read_text().splitlines()
    parsed: list[dict[str, Any]] = []
    for line in lines:
        try:
            parsed.append(json.loads(line))
        except json.JSONDecodeError:
            pytest.fail(f"a line that is not JSON: {line!r}")
    return parsed


def access_lines(server: Server, path: str) -> list[dict[str, Any]]:
    return [
        record for record in records(server) if record["event"] == "http_request" and record["path"] == path
    ]


async def logged(server: Server, event: str, count: int = 1) -> list[dict[str, Any]]:
    """The server's lines of `event`, once there are `count` of them (or the deadline has passed)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + _DEADLINE_SECONDS
    while True:
        found = [record for record in records(server) if record["event"] == event]
        if len(found) >= count or loop.time() > deadline:
            return found
        await asyncio.sleep(0.2)


def mint_token(home: Path, env: dict[str, str]) -> str:
    result = run_orderdesk(home, "token", "--org", "ttd", env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


async def test_serve__output_not_a_terminal__json_lines_only_with_status_duration_and_trace_id(
    tmp_path: Path, database_env: dict[str, str]
) -> None:
    home = tmp_path / "home"
    with serving(home, database_env) as server:  # no ORDERDESK_LOG_FORMAT: auto, and a file is no tty
        await wait_until_healthy(server)
        token = mint_token(home, database_env)
        unknown_order = str(uuid.uuid4())
        auth = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=server.base_url) as http:
            refused = await http.get(f"{API}/orders/{unknown_order}")
            malformed = await http.get(f"{API}/orders/not-an-id", headers=auth)
            missing = await http.get(f"{API}/orders/{unknown_order}", headers=auth)  # 404: empty body
    assert (refused.status_code, malformed.status_code, missing.status_code) == (401, 400, 404)
    for answer, path, order_id in (
        (refused, f"{API}/orders/{unknown_order}", unknown_order),
        (malformed, f"{API}/orders/not-an-id", "not-an-id"),
    ):
        [line] = [line for line in access_lines(server, path) if line["trace_id"] == answer.json()["traceId"]]
        assert line["status"] == answer.status_code
        assert line["method"] == "GET"
        assert isinstance(line["duration_ms"], float | int)
        assert line["order_id"] == order_id
        assert line["level"] == "info"
    statuses = [line["status"] for line in access_lines(server, f"{API}/orders/{unknown_order}")]
    assert statuses == [401, 404]
    # The start-up lines (migrations, uvicorn, ours) are JSON too: `records` parsed every line.
    assert any(record["event"] == "serving" for record in records(server))
    assert token not in server.log.read_text()


async def test_serve__credentials_in_query_and_headers__never_in_the_log(
    tmp_path: Path, database_env: dict[str, str]
) -> None:
    home = tmp_path / "home"
    order_token = "eyJhbGciOiJIUzI1NiJ9.order-token-value.signature"
    with serving(home, database_env) as server:
        await wait_until_healthy(server)
        async with httpx.AsyncClient(base_url=server.base_url) as http:
            download = await http.get(
                f"/api/v1/rs-order/orders/public/files/{uuid.uuid4()}",
                params={"orderToken": order_token, "access_token": "at-value", "page": "2"},
                headers={"Authorization": "Bearer authorization-value", "Cookie": "session=cookie-value"},
            )
    assert download.status_code == 401
    text = server.log.read_text()
    for secret in (order_token, "at-value", "authorization-value", "cookie-value"):
        assert secret not in text
    [line] = [record for record in records(server) if record.get("trace_id") == download.json()["traceId"]]
    assert line["query"] == "orderToken=REDACTED&access_token=REDACTED&page=2"
    assert line["status"] == 401


async def test_serve__console_log_format__readable_lines_with_the_same_fields(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with serving(home, {"ORDERDESK_LOG_FORMAT": "console"}) as server:
        await wait_until_healthy(server)
        async with httpx.AsyncClient(base_url=server.base_url) as http:
            refused = await http.get(f"{API}/orders/1")
    lines = server.log.read_text().splitlines()
    assert lines
    assert not any(line.startswith("{") for line in lines)
    [access] = [line for line in lines if "http_request" in line and f"{API}/orders/1" in line]
    assert "status=401" in access
    assert f"trace_id={refused.json()['traceId']}" in access


async def test_serve__smtp_relay_down__each_failed_try_logged_with_its_attempt_number(
    tmp_path: Path, database_env: dict[str, str]
) -> None:
    home = tmp_path / "home"
    env = {
        **database_env,
        "ORDERDESK_EMAIL_PROVIDER": "smtp",
        "ORDERDESK_SMTP_HOST": "127.0.0.1",
        "ORDERDESK_SMTP_PORT": str(free_port()),  # nobody listens: every try fails
        "ORDERDESK_SMTP_TIMEOUT_SECONDS": "2",
        "ORDERDESK_NOTIFICATIONS_RETRY_BASE_SECONDS": "0.1",
        "ORDERDESK_NOTIFICATIONS_RETRY_MAX_SECONDS": "0.2",
        "ORDERDESK_NOTIFICATIONS_WORKER_POLL_SECONDS": "0.1",
    }
    with serving(home, env) as server:
        await wait_until_healthy(server)
        token = mint_token(home, env)
        async with httpx.AsyncClient(base_url=server.base_url) as http:
            placed = await http.post(
                f"{API}/orders/email",
                json=email_order(requestedSendTime=datetime.now(UTC).isoformat()),
                headers={"Authorization": f"Bearer {token}"},
            )
            assert placed.status_code == 202, placed.text
        failures = await logged(server, "notification_send_failed", count=2)
    assert [failure["attempt"] for failure in failures[:2]] == [1, 2]
    for failure in failures[:2]:
        assert failure["level"] == "warning"
        assert failure["order_id"] == placed.json()["orderId"]
        assert failure["retry"] is True
        assert failure["error"]


async def test_serve__callback_answering_500__each_try_logged_with_its_attempt_number(
    tmp_path: Path, database_env: dict[str, str]
) -> None:
    home = tmp_path / "home"
    credentials = shop_home(home, database_env)
    env = {
        **database_env,
        "ORDERDESK_PURCHASES_CALLBACK_ATTEMPTS": "3",
        "ORDERDESK_PURCHASES_CALLBACK_RETRY_BASE_SECONDS": "0.1",
        "ORDERDESK_PURCHASES_CALLBACK_RETRY_MAX_SECONDS": "0.2",
        "ORDERDESK_PURCHASES_POLL_SECONDS": "0.1",
    }
    with serving(home, env) as server, http_stub() as stub:
        await wait_until_healthy(server)
        async with httpx.AsyncClient(base_url=server.base_url) as http:
            http.headers.update(await bearer_of(http, credentials))
            order_id = (await http.post(f"{CAPI}/client/order", json=order_body())).json()["orderId"]
            callback = stub.answer("/fulfilled", status=500)
            answer = await http.post(
                f"{CAPI}/client/order/fulfillment", json={"orderId": order_id, "callbackUrl": callback}
            )
            assert answer.json()["fulfillmentStatus"] == "OK"
        abandoned = await logged(server, "purchase_callback_abandoned")
    failed = [record for record in records(server) if record["event"] == "purchase_callback_failed"]
    assert [(record["attempt"], record["attempts"]) for record in failed] == [(1, 3), (2, 3)]
    assert [(record["attempt"], record["attempts"]) for record in abandoned] == [(3, 3)]
    for record in [*failed, *abandoned]:
        assert record["level"] == "warning"
        assert record["order_id"] == order_id
        assert record["error"] == "HTTP 500"
