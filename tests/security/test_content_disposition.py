"""File names in Content-Disposition (issue 13, finding 12): a catalogue file named with CR/LF made the
server drop the reply and marked the file DOWNLOAD_ERROR. Names are sent as RFC 6266 / RFC 5987
`filename*` with a plain ASCII fallback, wherever files are sent, on a real uvicorn server; and the
catalogue import refuses such names, naming the file."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from xml.etree import ElementTree

import httpx
import pytest

from orderdesk.core.db import Database
from orderdesk.core.errors import InvalidInput
from orderdesk.dataorders.repository import catalogue
from orderdesk.dataorders.service.catalogue import import_dataset, read_folder
from orderdesk.dataorders.storage.scan import scan
from orderdesk.dataorders.storage.store import LocalFolderStore
from orderdesk.dataorders.tasks import StagingWorker
from tests.conftest import Tokens
from tests.integration.dataorders.conftest import (  # noqa: F401 - fixtures
    live_server,
    small_suborders,
    worker,
)
from tests.integration.dataorders.flow import API, order_all, stage_everything
from tests.support.processes import run_orderdesk
from tests.support.waiting import eventually

BAD_NAME = 'bad\r\nSet-Cookie: x=1; "q".txt'
NAMES = [BAD_NAME, "blåbær;\\ ø.txt"]
NS = {"m": "urn:ietf:params:xml:ns:metalink"}


def _folder(tmp_path: Path) -> Path:
    root = tmp_path / "odd"
    (root / "A").mkdir(parents=True)
    for index, name in enumerate(NAMES):
        (root / "A" / name).write_bytes(f"file {index}\n".encode())
    return root


@pytest.fixture
async def odd_catalog(database: Database, tmp_path: Path) -> Path:
    """Dataset `odd`, stored past the import (as one imported before it refused such names)."""
    root = _folder(tmp_path)
    entries = await scan(LocalFolderStore(root))
    now = datetime.now(UTC)
    async with database.transaction() as connection:
        await catalogue.save_dataset(connection, "odd", str(root.resolve()), now)
        await catalogue.save_files(connection, "odd", entries, now)
    return root


_DISPOSITION = re.compile(
    r"attachment; filename=\"(?P<fallback>[ !#-\[\]-~]*)\"; "
    r"filename\*=UTF-8''(?P<star>[A-Za-z0-9!#$&+.^_`|~%-]+)"
)
"""What RFC 6266 allows of it: a quoted ASCII fallback without control characters, quotes or
backslashes, and an RFC 5987 `filename*` of attr-chars and percent-encoded octets."""


def _names_in(header: str) -> tuple[str, str]:
    """The `filename` fallback and the decoded `filename*` of a Content-Disposition header."""
    match = _DISPOSITION.fullmatch(header)
    assert match is not None, header
    return match["fallback"], unquote(match["star"])


async def _states(http: httpx.AsyncClient, user: dict[str, str], order_id: int) -> dict[str, str]:
    response = await http.get(f"{API}/user/orders/{order_id}/files?size=100", headers=user)
    assert response.status_code == 200
    return {item["filename"]: item["state"] for item in response.json()["content"]}


async def _all_downloaded(http: httpx.AsyncClient, user: dict[str, str], order_id: int) -> None:
    """Until every file of the order is DOWNLOADED. The server records a download after its last
    byte went out, so the client may have the whole body before the record is committed (read at
    once, the state was sometimes still AVAILABLE)."""

    async def downloaded() -> bool:
        return set((await _states(http, user, order_id)).values()) == {"DOWNLOADED"}

    await eventually(downloaded, what="every file of the order DOWNLOADED")


async def test_odd_file_names__single_file_zip_metalink_public_file__sent_whole_on_a_real_server(
    live_server: str,  # noqa: F811
    worker: StagingWorker,  # noqa: F811
    tokens: Tokens,
    odd_catalog: Path,
) -> None:
    user = tokens.user("ola@example.com")
    async with httpx.AsyncClient(base_url=live_server, timeout=10.0) as http:
        order_id = await order_all(http, user, "odd")
        await stage_everything(worker)
        available = await http.get(f"{API}/user/orders/{order_id}/files/available", headers=user)
        items: list[dict[str, Any]] = available.json()["content"]
        assert sorted(item["filename"] for item in items) == sorted(NAMES)

        for item in items:
            response = await http.get(urlsplit(item["uri"]).path, headers=user)
            assert response.status_code == 200
            assert response.content == (odd_catalog / "A" / item["filename"]).read_bytes()
            _fallback, name = _names_in(response.headers["content-disposition"])
            assert name == item["filename"]
        await _all_downloaded(http, user, order_id)

        metalink = await http.get(f"{API}/user/orders/{order_id}/metalink/download", headers=user)
        assert metalink.status_code == 200
        _names_in(metalink.headers["content-disposition"])
        root = ElementTree.fromstring(metalink.content)
        urls = [entry.findtext("m:url", namespaces=NS) or "" for entry in root.findall("m:file", NS)]
        for url in urls:
            # Links start with ORDERDESK_PUBLIC_BASE_URL, not with the address this server listens on.
            link = urlsplit(url)
            public = await http.get(f"{link.path}?{link.query}")
            assert public.status_code == 200
            _fallback, name = _names_in(public.headers["content-disposition"])
            assert name in NAMES
        await _all_downloaded(http, user, order_id)

        # The zip of a second order of the same files (the first one's are all downloaded).
        second = await order_all(http, user, "odd")
        await stage_everything(worker)
        archive = await http.get(f"{API}/user/orders/{second}/download", headers=user)
        assert archive.status_code == 200
        _names_in(archive.headers["content-disposition"])
        with zipfile.ZipFile(io.BytesIO(archive.content)) as zipped:
            assert all(not any(ord(char) < 32 for char in name) for name in zipped.namelist())
            assert len(zipped.namelist()) == len(NAMES)


async def test_catalog_import__control_character_in_a_file_name__refused_naming_it(
    database: Database, tmp_path: Path
) -> None:
    root = _folder(tmp_path)
    entries = await read_folder(root)

    with pytest.raises(InvalidInput) as refused:
        async with database.transaction() as connection:
            await import_dataset(connection, "odd", root, entries, now=datetime.now(UTC))

    assert list(refused.value.errors) == [ascii(f"A/{BAD_NAME}")]
    async with database.transaction() as connection:
        assert not await catalogue.dataset_exists(connection, "odd")


@pytest.mark.slow
def test_catalog_import_command__control_character_in_a_file_name__exits_2_naming_it(tmp_path: Path) -> None:
    root = _folder(tmp_path)

    result = run_orderdesk(tmp_path / "home", "catalog", "import", str(root), "--dataset", "odd")

    assert result.returncode == 2
    assert result.stdout == ""
    assert ascii(f"A/{BAD_NAME}") in result.stderr
    assert "\r" not in result.stderr
