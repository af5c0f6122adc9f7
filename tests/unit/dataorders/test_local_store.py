"""The local folder store: staging proves the copy by its checksum and never leaves a bad copy."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from orderdesk.dataorders.storage.store import ChecksumMismatch, LocalFolderStore


def md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


async def test_stage__right_checksum__the_file_is_in_the_order_area(tmp_path: Path) -> None:
    store = LocalFolderStore(tmp_path / "store")
    (tmp_path / "store" / "p").mkdir(parents=True)
    (tmp_path / "store" / "p" / "f.txt").write_bytes(b"content")

    await store.stage("p/f.txt", tmp_path / "area" / "f.txt", md5(b"content"))

    assert (tmp_path / "area" / "f.txt").read_bytes() == b"content"


async def test_stage__file_changed_since_import__refused_and_nothing_left(tmp_path: Path) -> None:
    store = LocalFolderStore(tmp_path / "store")
    (tmp_path / "store").mkdir()
    (tmp_path / "store" / "f.txt").write_bytes(b"changed")

    with pytest.raises(ChecksumMismatch):
        await store.stage("f.txt", tmp_path / "area" / "f.txt", md5(b"original"))

    assert list((tmp_path / "area").iterdir()) == []


def test_path__key_leaving_the_store__refused(tmp_path: Path) -> None:
    store = LocalFolderStore(tmp_path / "store")

    with pytest.raises(ValueError, match="outside the store"):
        store.path("../secret")
