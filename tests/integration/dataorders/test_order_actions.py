"""Pause, resume, delete, retry and restart with the original's status rules (a refusal is a 409
problem naming the status and changes nothing), and expiry: staged files removed, status EXPIRED,
the owner's slots freed."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from orderdesk.core.db import Database
from orderdesk.dataorders.tasks import ExpiryRules, ExpiryWorker, StagingWorker
from orderdesk.settings import Settings
from tests.conftest import Clock, Tokens
from tests.integration.dataorders.flow import API, files_of, order_all, order_of, stage_everything, status_of


async def act(
    http: httpx.AsyncClient, user: dict[str, str], method: str, path: str, **body: Any
) -> httpx.Response:
    return await http.request(method, f"{API}{path}", headers=user, json=body or None)


def staged_folder(settings: Settings, order_id: int) -> Path:
    return settings.home / "dataorders" / str(order_id)


@pytest.fixture
def expiry(small_suborders: Settings, database: Database, clock: Clock) -> ExpiryWorker:
    return ExpiryWorker(database, ExpiryRules(area=small_suborders.home / "dataorders"), clock)


async def test_pause_stops_staging__resume_goes_on(
    http: httpx.AsyncClient, user: dict[str, str], worker: StagingWorker, big_catalog: Path
) -> None:
    order_id = await order_all(http, user, "big")
    await worker.step()

    paused = await act(http, user, "PUT", f"/user/orders/pause/{order_id}")

    assert (paused.status_code, paused.json()["status"]) == (200, "PAUSED")
    assert await worker.step() > 0.0  # nothing to stage
    code, page = await status_of(http, user, order_id)
    assert (code, [item["productId"] for item in page["content"]]) == (206, ["P1"])

    resumed = await act(http, user, "PUT", f"/user/orders/resume/{order_id}")

    assert (resumed.status_code, resumed.json()["status"]) == (200, "RUNNING")
    assert await worker.step() == 0.0
    assert (await order_of(http, user, order_id))["availableFilesCount"] == 2


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("PUT", "/user/orders/pause/{id}", "DONE"),
        ("PUT", "/user/orders/resume/{id}", "DONE"),
        ("PUT", "/user/orders/{id}/retry", "DONE"),
        ("DELETE", "/user/orders/{id}", "PENDING"),
        ("PUT", "/user/orders/resume/{id}", "PENDING"),
        ("POST", "/user/orders/{id}/restart", "PENDING"),
        ("PUT", "/user/orders/{id}/retry", "PENDING"),
    ],
)
async def test_action_not_allowed_in_that_status__409_naming_it__nothing_changes(
    http: httpx.AsyncClient,
    user: dict[str, str],
    worker: StagingWorker,
    catalog: Path,
    method: str,
    path: str,
    status: str,
) -> None:
    order_id = await order_all(http, user, "ds1")
    if status == "DONE":
        await stage_everything(worker)
    before = await order_of(http, user, order_id)
    assert before["status"] == status

    response = await act(http, user, method, path.format(id=order_id))

    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert f"this one is {status}" in response.json()["detail"]
    assert await order_of(http, user, order_id) == before


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/user/orders/pause/{id}"),
        ("PUT", "/user/orders/resume/{id}"),
        ("DELETE", "/user/orders/{id}"),
        ("PUT", "/user/orders/{id}/retry"),
        ("POST", "/user/orders/{id}/restart"),
    ],
)
async def test_actions_on_another_users_order_and_unknown__404(
    http: httpx.AsyncClient, user: dict[str, str], tokens: Tokens, catalog: Path, method: str, path: str
) -> None:
    order_id = await order_all(http, user, "ds1")
    kari = tokens.user("kari@example.com")

    assert (await act(http, kari, method, path.format(id=order_id))).status_code == 404
    assert (await act(http, user, method, path.format(id=order_id + 1000))).status_code == 404
    assert (await act(http, user, method, path.format(id="abc"))).status_code == 400
    assert (await order_of(http, user, order_id))["status"] == "PENDING"


async def test_delete__files_removed__order_hidden__slot_freed(
    http: httpx.AsyncClient,
    user: dict[str, str],
    worker: StagingWorker,
    small_suborders: Settings,
    big_catalog: Path,
    catalog: Path,
) -> None:
    big = await order_all(http, user, "big")
    await stage_everything(worker)  # two sub-orders staged; the third waits for a slot
    small = await order_all(http, user, "ds1")
    assert await worker.step() > 0.0
    _code, page = await status_of(http, user, big)
    await act(http, user, "PUT", f"/user/orders/pause/{big}")

    deleted = await act(http, user, "DELETE", f"/user/orders/{big}")

    assert (deleted.status_code, deleted.json()["status"]) == (200, "DELETED")
    assert not staged_folder(small_suborders, big).exists()
    listed = (await http.get(f"{API}/user/orders", headers=user)).json()["content"]
    assert [order["id"] for order in listed] == [small]
    gone = await http.get(page["content"][0]["uri"].removeprefix("http://testserver"), headers=user)
    assert gone.status_code == 422
    assert await status_of(http, user, big) == (
        200,
        {"metadata": {"number": 0, "size": 50, "totalElements": 0, "totalPages": 0}, "content": []},
    )
    await stage_everything(worker)
    assert (await order_of(http, user, small))["status"] == "DONE"


async def test_retry__failed_files_staged_again__done(
    http: httpx.AsyncClient, user: dict[str, str], worker: StagingWorker, catalog: Path
) -> None:
    order_id = await order_all(http, user, "ds1")
    original = (catalog / "A" / "a1.txt").read_bytes()
    (catalog / "A" / "a1.txt").unlink()
    await stage_everything(worker)
    assert (await order_of(http, user, order_id))["status"] == "DONE_WITH_WARNING"
    (catalog / "A" / "a1.txt").write_bytes(original)

    retried = await act(http, user, "PUT", f"/user/orders/{order_id}/retry")

    assert retried.status_code == 200
    assert (retried.json()["status"], retried.json()["filesInErrorCount"]) == ("RUNNING", 0)
    assert (await files_of(http, user, order_id))["a1.txt"] == "PENDING"
    await stage_everything(worker)
    order = await order_of(http, user, order_id)
    assert (order["status"], order["availableFilesCount"]) == ("DONE", 4)


async def test_restart__a_new_order_of_the_same_files(
    http: httpx.AsyncClient, user: dict[str, str], worker: StagingWorker, catalog: Path
) -> None:
    order_id = await order_all(http, user, "ds1")
    await stage_everything(worker)

    restarted = await act(
        http, user, "POST", f"/user/orders/{order_id}/restart", label="again", onSuccessUrl="https://x.test"
    )

    assert restarted.status_code == 201
    again = restarted.json()
    assert again["id"] != order_id
    assert (again["label"], again["status"], again["onSuccessUrl"]) == ("again", "PENDING", "https://x.test")
    assert sorted(await files_of(http, user, again["id"])) == sorted(await files_of(http, user, order_id))


async def test_expiry__expired__staged_files_removed__slots_freed(
    http: httpx.AsyncClient,
    user: dict[str, str],
    worker: StagingWorker,
    expiry: ExpiryWorker,
    small_suborders: Settings,
    clock: Clock,
    big_catalog: Path,
    catalog: Path,
) -> None:
    big = await order_all(http, user, "big")
    await stage_everything(worker)
    assert staged_folder(small_suborders, big).is_dir()
    expires = (await order_of(http, user, big))["expirationDate"]
    assert expires.startswith((clock() + timedelta(hours=168)).strftime("%Y-%m-%dT%H"))
    clock.advance(timedelta(hours=100))
    small = await order_all(http, user, "ds1")  # expires later
    await expiry.expire()
    assert (await order_of(http, user, big))["status"] == "RUNNING"

    clock.advance(timedelta(hours=69))
    zipped = await http.get(f"{API}/user/orders/{big}/download", headers=user)
    assert zipped.status_code == 204  # past expiry, not yet swept: nothing is served
    assert await expiry.expire() == 1

    order = await order_of(http, user, big)
    assert (order["status"], order["availableFilesCount"], order["waitingForUser"]) == ("EXPIRED", 0, False)
    assert not staged_folder(small_suborders, big).exists()
    assert (await status_of(http, user, big))[0] == 200
    await stage_everything(worker)  # the expired order's slots are free
    assert (await order_of(http, user, small))["status"] == "DONE"


async def test_expiry__downloaded_order_stays_done__its_folder_removed_unknown_orders_folders_kept(
    http: httpx.AsyncClient,
    user: dict[str, str],
    worker: StagingWorker,
    expiry: ExpiryWorker,
    small_suborders: Settings,
    clock: Clock,
    catalog: Path,
) -> None:
    order_id = await order_all(http, user, "ds1")
    await stage_everything(worker)
    assert (await http.get(f"{API}/user/orders/{order_id}/download", headers=user)).status_code == 200
    # An order this database never had: another instance's, whose files are not ours to remove.
    unknown = staged_folder(small_suborders, 99999)
    unknown.mkdir(parents=True, exist_ok=True)
    (unknown / "file").write_bytes(b"not ours")
    clock.advance(timedelta(days=8))

    assert await expiry.step() > 0.0

    assert (await order_of(http, user, order_id))["status"] == "DONE"
    assert not staged_folder(small_suborders, order_id).exists()
    assert (unknown / "file").read_bytes() == b"not ours"
    files = await http.get(f"{API}/user/orders/{order_id}/files", headers=user)
    uri = files.json()["content"][0]["uri"].removeprefix("http://testserver")
    expired = await http.get(uri, headers=user)
    assert expired.status_code == 422
    assert "expired" in expired.json()["detail"]


async def test_retry__file_fails_again__its_suborder_keeps_the_slot_for_the_available_files(
    http: httpx.AsyncClient, user: dict[str, str], worker: StagingWorker, catalog: Path
) -> None:
    order_id = await order_all(http, user, "ds1")
    (catalog / "A" / "a1.txt").unlink()
    await stage_everything(worker)

    assert (await act(http, user, "PUT", f"/user/orders/{order_id}/retry")).status_code == 200
    await stage_everything(worker)

    order = await order_of(http, user, order_id)
    assert (order["status"], order["availableFilesCount"], order["filesInErrorCount"]) == (
        "DONE_WITH_WARNING",
        3,
        1,
    )
    assert order["waitingForUser"] is True  # the sub-order is still staged, not ended
