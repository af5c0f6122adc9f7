"""Order chains whose reminders fall due together, and the worker sending them killed with SIGKILL:
a second worker takes its claims over, and every notification of every chain arrives exactly once.

Reminders are orders like any other to the pipeline; what this proves is that a chain's main order
and reminders, registered together and due together, are neither lost nor sent twice by the
takeover (see test_dead_worker_takeover.py for the mechanism)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.security.test_dead_worker_takeover import (  # noqa: F401 - the fixtures, used by name
    ACCEPTED,
    TAKEOVER_DEADLINE_SECONDS,
    api,
    own_database,
    until_started,
    worker,
)
from tests.support.notifications_api import API, processing_status
from tests.support.smtp_sink import SmtpSink

pytestmark = pytest.mark.slow

CHAINS = 50
REMINDERS = 4
"""Five notifications a chain, each to an address of its own: 250 in all, more than the relay takes
before it stalls."""


def chain(index: int, due: datetime) -> dict[str, Any]:
    def email(slot: int) -> dict[str, Any]:
        address = f"chain{index:02}-{slot}@example.com"
        settings = {"subject": f"Notice {slot}", "body": "Still unread."}
        return {"recipientEmail": {"emailAddress": address, "emailSettings": settings}}

    return {
        "idempotencyId": f"takeover-{index}",
        "recipient": email(0),
        "reminders": [
            {"requestedSendTime": due.isoformat(), "recipient": email(slot)}
            for slot in range(1, REMINDERS + 1)
        ],
    }


async def until_all_arrived(sink: SmtpSink, count: int, *logs: Path) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TAKEOVER_DEADLINE_SECONDS
    while len(sink.recipients()) < count:
        if loop.time() > deadline:
            tails = "\n".join(log.read_text()[-3000:] for log in logs if log.exists())
            pytest.fail(f"{len(sink.recipients())} of {count} addresses reached\n{tails}")
        await asyncio.sleep(0.2)


async def test_worker_killed_while_reminders_are_due__survivor_sends_the_rest__each_once(
    api: httpx.AsyncClient,  # noqa: F811
    auth: dict[str, str],
    own_database: str,  # noqa: F811
    sink: SmtpSink,
    tmp_path: Path,
) -> None:
    sink.accept_limit = ACCEPTED  # then the relay stops answering DATA: the first worker hangs mid-way
    receipts = []
    for index in range(CHAINS):
        # each chain's reminders a second after its own registration, not after the first's: the
        # fifty registrations can take longer than a second on a loaded machine, and a send time
        # already past is refused. All are due before the worker has started.
        due = datetime.now(UTC) + timedelta(seconds=1)
        response = await api.post(f"{API}/future/orders", json=chain(index, due), headers=auth)
        assert response.status_code == 201, response.text
        receipts.append(response.json())
    first_home, second_home = tmp_path / "first", tmp_path / "second"
    with worker(first_home, own_database, sink) as first:
        await sink.wait_until(received=ACCEPTED, stalled=1)
        with worker(second_home, own_database, sink) as second:
            await until_started(second, second_home / "worker.log")
            first.kill()
            first.wait()
            sink.release()  # the dead worker's sessions get 451 (never delivered); new ones are taken
            await until_all_arrived(
                sink, CHAINS * (REMINDERS + 1), first_home / "worker.log", second_home / "worker.log"
            )

    expected = {f"chain{i:02}-{slot}@example.com": 1 for i in range(CHAINS) for slot in range(REMINDERS + 1)}
    assert sink.recipients() == expected
    for receipt in receipts:
        shipments = [receipt["notification"], *receipt["notification"]["reminders"]]
        for shipment in shipments:
            assert await processing_status(api, auth, shipment["shipmentId"]) == "Completed"
