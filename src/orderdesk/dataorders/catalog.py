"""Reading a folder into catalogue entries: each sub-folder is a product named after it, each file
directly in the folder a product of its own (named after the file)."""

from __future__ import annotations

import asyncio
import mimetypes
from dataclasses import dataclass
from pathlib import PurePosixPath

from orderdesk.dataorders.storage import FileStore, md5_of

DEFAULT_MIME_TYPE = "application/octet-stream"


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    product_id: str
    filename: str
    storage_key: str
    size: int
    mime_type: str
    md5: str


def product_of(key: str) -> str:
    """The first part of the key: the sub-folder's name, or the file's own name at the top."""
    return PurePosixPath(key).parts[0]


def mime_type_of(filename: str) -> str:
    guessed, _encoding = mimetypes.guess_type(filename, strict=False)
    return guessed or DEFAULT_MIME_TYPE


async def scan(store: FileStore) -> list[CatalogEntry]:
    """Every file of the store with its size, MIME type and MD5 (read in a thread: it is disk work)."""
    return await asyncio.to_thread(_scan, store)


def _scan(store: FileStore) -> list[CatalogEntry]:
    entries = []
    for stored in store.files():
        with store.open(stored.key) as stream:
            md5 = md5_of(stream)
        filename = PurePosixPath(stored.key).name
        entries.append(
            CatalogEntry(
                product_id=product_of(stored.key),
                filename=filename,
                storage_key=stored.key,
                size=stored.size,
                mime_type=mime_type_of(filename),
                md5=md5,
            )
        )
    return entries
