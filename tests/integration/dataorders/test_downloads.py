"""Downloading what an order staged: the zip of every available file (streamed, NOTICE.txt for the
files that could not be read), and downloads cut in the middle, on a real server, which must never
count as downloaded."""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import socket
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from orderdesk.core.db import Database
from orderdesk.dataorders.service.catalogue import import_dataset, read_folder
from orderdesk.dataorders.tasks import StagingWorker
from orderdesk.settings import Settings
from tests.conftest import Tokens
from tests.integration.dataorders.flow import (
    API,
    MIB,
    files_of,
    order_all,
    order_of,
    stage_everything,
    status_of,
)
from tests.support.waiting import eventually


def catalogue_md5s(root: Path) -> dict[str, str]:
    return {
        path.name: hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()
        for path in root.rglob("*")
        if path.is_file()
    }


async def test_zip__every_available_file_with_its_catalogue_bytes__then_downloaded(
    http: httpx.AsyncClient, user: dict[str, str], worker: StagingWorker, catalog: Path
) -> None:
    order_id = await order_all(http, user, "ds1")
    await stage_everything(worker)

    response = await http.get(f"{API}/user/orders/{order_id}/download", headers=user)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert int(response.headers["content-length"]) == len(response.content)
    assert f"order_{order_id}_" in response.headers["content-disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.testzip() is None
    assert {
        name: hashlib.md5(archive.read(name), usedforsecurity=False).hexdigest()
        for name in archive.namelist()
    } == catalogue_md5s(catalog)
    assert set((await files_of(http, user, order_id)).values()) == {"DOWNLOADED"}
    order = await order_of(http, user, order_id)
    assert (order["status"], order["availableFilesCount"]) == ("DONE", 0)
    assert (await http.get(f"{API}/user/orders/{order_id}/download", headers=user)).status_code == 204


async def test_zip__nothing_staged_yet__204(
    http: httpx.AsyncClient, user: dict[str, str], catalog: Path
) -> None:
    order_id = await order_all(http, user, "ds1")

    response = await http.get(f"{API}/user/orders/{order_id}/download", headers=user)

    assert (response.status_code, response.content) == (204, b"")


async def test_zip__staged_copy_gone__listed_in_notice_and_download_error(
    http: httpx.AsyncClient,
    user: dict[str, str],
    worker: StagingWorker,
    small_suborders: Settings,
    catalog: Path,
) -> None:
    order_id = await order_all(http, user, "ds1")
    await stage_everything(worker)
    _code, page = await status_of(http, user, order_id)
    lost = next(item for item in page["content"] if item["filename"] == "a1.txt")
    file_id = urlsplit(lost["uri"]).path.rsplit("/", 1)[1]
    (small_suborders.home / "dataorders" / str(order_id) / file_id).unlink()

    response = await http.get(f"{API}/user/orders/{order_id}/download", headers=user)

    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert sorted(archive.namelist()) == ["NOTICE.txt", "a2.csv", "b1.txt", "top.dat"]
    notice = archive.read("NOTICE.txt").decode()
    assert notice.startswith("Failed to download file (a1.txt): the staged copy is missing.")
    states = await files_of(http, user, order_id)
    assert states == {
        "a1.txt": "DOWNLOAD_ERROR",
        "a2.csv": "DOWNLOADED",
        "b1.txt": "DOWNLOADED",
        "top.dat": "DOWNLOADED",
    }
    assert (await order_of(http, user, order_id))["status"] == "DONE_WITH_WARNING"


async def test_zip__unblocks_the_next_suborders(
    http: httpx.AsyncClient, user: dict[str, str], worker: StagingWorker, big_catalog: Path
) -> None:
    order_id = await order_all(http, user, "big")
    await stage_everything(worker)
    assert (await order_of(http, user, order_id))["availableFilesCount"] == 2

    first = await http.get(f"{API}/user/orders/{order_id}/download", headers=user)
    await stage_everything(worker)
    second = await http.get(f"{API}/user/orders/{order_id}/download", headers=user)

    names = zipfile.ZipFile(io.BytesIO(first.content)).namelist()
    names += zipfile.ZipFile(io.BytesIO(second.content)).namelist()
    assert sorted(names) == ["p1.bin", "p2.bin", "p3.bin"]
    assert await status_of(http, user, order_id) == (
        200,
        {"metadata": {"number": 0, "size": 50, "totalElements": 0, "totalPages": 0}, "content": []},
    )


async def test_zip__another_users_order__404(
    http: httpx.AsyncClient, user: dict[str, str], tokens: Tokens, worker: StagingWorker, catalog: Path
) -> None:
    order_id = await order_all(http, user, "ds1")
    await stage_everything(worker)

    response = await http.get(
        f"{API}/user/orders/{order_id}/download", headers=tokens.user("kari@example.com")
    )

    assert response.status_code == 404
    assert set((await files_of(http, user, order_id)).values()) == {"AVAILABLE"}


@pytest.fixture
async def large_catalog(database: Database, tmp_path: Path) -> Path:
    """One 24 MiB file: far more than the operating system buffers between a cut client and the
    server (a cut in the last few megabytes cannot be told from a whole download by any server)."""
    root = tmp_path / "large"
    (root / "L").mkdir(parents=True)
    (root / "L" / "large.bin").write_bytes(os.urandom(24 * MIB))
    async with database.transaction() as connection:
        await import_dataset(connection, "large", root, await read_folder(root), now=datetime.now(UTC))
    return root


async def read_part_then_hang_up(url: str, headers: dict[str, str], keep: int) -> tuple[int, int]:
    """GET `url` on a raw socket, read the head and `keep` bytes of the body, close. (status, length)"""
    parts = urlsplit(url)
    client = socket.socket()
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    client.setblocking(False)
    await asyncio.get_running_loop().sock_connect(client, (parts.hostname, parts.port))
    reader, writer = await asyncio.open_connection(sock=client)
    lines = [f"GET {parts.path} HTTP/1.1", f"Host: {parts.netloc}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    await writer.drain()
    head = (await reader.readuntil(b"\r\n\r\n")).decode()
    status = int(head.split()[1])
    length = next(
        int(line.split(":", 1)[1]) for line in head.splitlines() if line.lower().startswith("content-length")
    )
    await reader.readexactly(keep)
    writer.transport.abort()
    return status, length


async def test_single_download_cut_midway__download_error_not_downloaded(
    http: httpx.AsyncClient,
    live_server: str,
    user: dict[str, str],
    worker: StagingWorker,
    large_catalog: Path,
) -> None:
    order_id = await order_all(http, user, "large")
    await worker.step()
    _code, page = await status_of(http, user, order_id)
    uri = live_server + urlsplit(page["content"][0]["uri"]).path

    status, length = await read_part_then_hang_up(uri, user, keep=64 * 1024)

    assert status == 200
    assert length > 64 * 1024

    async def recorded() -> bool:
        return (await files_of(http, user, order_id))["large.bin"] != "AVAILABLE"

    await eventually(recorded, what="the cut download recorded")
    assert (await files_of(http, user, order_id))["large.bin"] == "DOWNLOAD_ERROR"
    listed = await http.get(f"{API}/user/orders/{order_id}/files?size=10", headers=user)
    assert listed.json()["content"][0]["error"].startswith("Download cut")

    # still servable: a whole download afterwards counts
    async with httpx.AsyncClient() as client:
        again = await client.get(uri, headers=user)
    assert hashlib.md5(again.content, usedforsecurity=False).hexdigest() == page["content"][0]["checksum"]

    async def downloaded() -> bool:
        return (await files_of(http, user, order_id))["large.bin"] == "DOWNLOADED"

    await eventually(downloaded, what="the whole download recorded")


@pytest.mark.parametrize("keep", [100, 4 * MIB])
async def test_zip_cut_midway__files_stay_available(
    http: httpx.AsyncClient,
    live_server: str,
    user: dict[str, str],
    worker: StagingWorker,
    large_catalog: Path,
    keep: int,
) -> None:
    order_id = await order_all(http, user, "large")
    await stage_everything(worker)

    status, length = await read_part_then_hang_up(
        f"{live_server}{API}/user/orders/{order_id}/download", user, keep=keep
    )
    await asyncio.sleep(0.5)  # time for the server to notice

    assert status == 200
    assert length > keep
    assert (await files_of(http, user, order_id)) == {"large.bin": "AVAILABLE"}
    assert (await order_of(http, user, order_id))["availableFilesCount"] == 1
