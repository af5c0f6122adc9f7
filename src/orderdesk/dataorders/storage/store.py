"""Where catalogue files live, behind a small interface: a local folder now, an S3-compatible store
later. Staging copies a file out of the store into an order's area and proves the copy by its MD5."""

from __future__ import annotations

import asyncio
import hashlib
import os
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Protocol

CHUNK_BYTES = 1024 * 1024


@dataclass(frozen=True, slots=True)
class StoredFile:
    key: str
    """Where the store keeps it: a relative POSIX path for a local folder."""
    size: int


class ChecksumMismatch(Exception):
    """The staged copy is not the catalogued file (changed or damaged since it was imported)."""


class FileStore(Protocol):
    def files(self) -> Iterator[StoredFile]: ...

    def open(self, key: str) -> BinaryIO: ...

    async def stage(self, key: str, destination: Path, expected_md5: str) -> None: ...


def md5_of(stream: BinaryIO) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    while chunk := stream.read(CHUNK_BYTES):
        digest.update(chunk)
    return digest.hexdigest()


class LocalFolderStore:
    """Files under a folder; keys are paths relative to it (never leaving it)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def files(self) -> Iterator[StoredFile]:
        for path in sorted(self.root.rglob("*")):
            if path.is_file() and not path.is_symlink():
                key = PurePosixPath(path.relative_to(self.root).as_posix())
                yield StoredFile(key=str(key), size=path.stat().st_size)

    def path(self, key: str) -> Path:
        candidate = (self.root / key).resolve()
        if not candidate.is_relative_to(self.root):
            raise ValueError(f"{key!r} is outside the store")
        return candidate

    def open(self, key: str) -> BinaryIO:
        return self.path(key).open("rb")

    async def stage(self, key: str, destination: Path, expected_md5: str) -> None:
        """Copy the file to `destination`, verifying the checksum; on a mismatch nothing is left there.

        A copy, not a hard link: a link would share later edits of the catalogue file, and the order
        would then serve bytes that no longer match the checksum it promised."""
        await asyncio.to_thread(self._stage, key, destination, expected_md5)

    def _stage(self, key: str, destination: Path, expected_md5: str) -> None:
        """Copy in the kernel, then hash the copy. One pass hashing each chunk as Python writes it was
        slower in the staging worker (146 against 196 MB/s for 1000 files of 1 MiB, alternated in one
        run): the kernel's copy costs less than Python's writes, though the copy is then read twice."""
        source = self.path(key)
        destination.parent.mkdir(parents=True, exist_ok=True)
        # A name of its own: a worker that lost its lease may still be copying the same file.
        partial = destination.with_name(f"{destination.name}.{secrets.token_hex(4)}.partial")
        try:
            shutil.copyfile(source, partial)
            with partial.open("rb") as staged:
                actual = md5_of(staged)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        if actual != expected_md5:
            partial.unlink(missing_ok=True)
            raise ChecksumMismatch(f"{key}: MD5 {actual}, catalogue says {expected_md5}")
        os.replace(partial, destination)
