"""Reading a store into catalogue entries: every file with its size, MIME type and MD5."""

from __future__ import annotations

import asyncio
from pathlib import PurePosixPath

from orderdesk.dataorders.rules.catalogue import CatalogEntry, mime_type_of, product_of
from orderdesk.dataorders.storage.store import FileStore, md5_of


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
