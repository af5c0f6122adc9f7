"""A whole data order through HTTP with real files on disk: 204 while nothing is staged, 206 as
sub-orders are staged, blocked at two sub-orders until the user downloads, then 200; every downloaded
byte matches its catalogue checksum. And the files that cannot be served."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from orderdesk.dataorders.tasks import StagingWorker
from orderdesk.settings import Settings
from tests.conftest import Tokens
from tests.integration.dataorders.flow import API, download, order_all, stage_everything, status_of


async def test_order__204_then_206_blocked_at_two_suborders_until_download_then_200(
    http: httpx.AsyncClient, user: dict[str, str], worker: StagingWorker, big_catalog: Path
) -> None:
    order_id = await order_all(http, user, "big")
    assert await status_of(http, user, order_id) == (204, None)

    assert await worker.step() == 0.0
    code, page = await status_of(http, user, order_id)
    assert code == 206
    assert [item["productId"] for item in page["content"]] == ["P1"]

    assert await worker.step() == 0.0
    assert await worker.step() > 0.0  # the third sub-order waits: two are staged and not downloaded
    code, page = await status_of(http, user, order_id)
    assert code == 206
    assert [item["productId"] for item in page["content"]] == ["P1", "P2"]
    order = (await http.get(f"{API}/user/orders/{order_id}", headers=user)).json()
    assert (order["status"], order["waitingForUser"], order["percentCompleted"]) == ("RUNNING", True, 66)

    first = page["content"][0]
    assert await download(http, user, first) == (big_catalog / "P1" / "p1.bin").read_bytes()
    assert await worker.step() == 0.0  # the download freed a slot

    code, page = await status_of(http, user, order_id)
    assert code == 200
    assert [item["productId"] for item in page["content"]] == ["P2", "P3"]
    for item in page["content"]:
        await download(http, user, item)
    order = (await http.get(f"{API}/user/orders/{order_id}", headers=user)).json()
    assert (order["status"], order["percentCompleted"], order["availableFilesCount"]) == ("DONE", 100, 0)


async def test_files_gone_or_changed_after_ordering__error_and_done_with_warning(
    http: httpx.AsyncClient, user: dict[str, str], worker: StagingWorker, catalog: Path
) -> None:
    order_id = await order_all(http, user, "ds1")
    (catalog / "A" / "a1.txt").unlink()
    (catalog / "B" / "b1.txt").write_bytes(b"changed")

    await stage_everything(worker)

    code, page = await status_of(http, user, order_id)
    assert code == 200
    assert sorted(item["filename"] for item in page["content"]) == ["a2.csv", "top.dat"]
    order = (await http.get(f"{API}/user/orders/{order_id}", headers=user)).json()
    assert (order["status"], order["filesInErrorCount"]) == ("DONE_WITH_WARNING", 2)


async def test_file_or_order_of_another_user_and_unknown_file__404(
    http: httpx.AsyncClient, user: dict[str, str], worker: StagingWorker, tokens: Tokens, big_catalog: Path
) -> None:
    order_id = await order_all(http, user, "big")
    await worker.step()
    _code, page = await status_of(http, user, order_id)
    uri = page["content"][0]["uri"].removeprefix("http://testserver")

    assert (await http.get(uri, headers=tokens.user("kari@example.com"))).status_code == 404
    assert (
        await http.get(
            f"{API}/user/orders/{order_id}/files/available", headers=tokens.user("kari@example.com")
        )
    ).status_code == 404
    assert (
        await http.get(f"{API}/orders/files/00000000-0000-0000-0000-000000000000", headers=user)
    ).status_code == 404


@pytest.mark.parametrize("query", ["size=0", "size=10000", "page=-1", "size=abc"])
async def test_available_files__bad_paging__400(
    http: httpx.AsyncClient, user: dict[str, str], catalog: Path, query: str
) -> None:
    order_id = await order_all(http, user, "ds1")
    response = await http.get(f"{API}/user/orders/{order_id}/files/available?{query}", headers=user)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"


async def test_available_files__path_without_user__same_answer(
    http: httpx.AsyncClient, user: dict[str, str], catalog: Path
) -> None:
    order_id = await order_all(http, user, "ds1")
    assert (await http.get(f"{API}/orders/{order_id}/files/available", headers=user)).status_code == 204


async def test_user_at_the_limit__does_not_hold_up_another_user(
    http: httpx.AsyncClient,
    user: dict[str, str],
    worker: StagingWorker,
    tokens: Tokens,
    big_catalog: Path,
    catalog: Path,
) -> None:
    await order_all(http, user, "big")
    await worker.step()
    await worker.step()  # ola now holds two staged sub-orders; her third waits
    kari = tokens.user("kari@example.com")
    kari_order = await order_all(http, kari, "ds1")

    assert await worker.step() == 0.0

    code, _page = await status_of(http, kari, kari_order)
    assert code == 200


async def test_staged_copy_removed_from_disk__422_problem_not_a_crash(
    http: httpx.AsyncClient,
    user: dict[str, str],
    worker: StagingWorker,
    small_suborders: Settings,
    catalog: Path,
) -> None:
    order_id = await order_all(http, user, "ds1")
    await worker.step()
    _code, page = await status_of(http, user, order_id)
    for staged in (small_suborders.home / "dataorders" / str(order_id)).iterdir():
        staged.unlink()

    response = await http.get(page["content"][0]["uri"].removeprefix("http://testserver"), headers=user)

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
