"""Use cases of data orders. So far: registering a folder of files as a catalogue dataset."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.core.errors import InvalidInput
from orderdesk.dataorders import repository
from orderdesk.dataorders.catalog import CatalogEntry, scan
from orderdesk.dataorders.models import ImportSummary
from orderdesk.dataorders.storage import LocalFolderStore

MAX_DATASET_NAME = 200


def dataset_name(name: str) -> str:
    """The name, trimmed; InvalidInput if it is empty, too long or holds a NUL."""
    trimmed = name.strip()
    if not trimmed or len(trimmed) > MAX_DATASET_NAME or "\x00" in trimmed:
        message = f"A dataset name of 1 to {MAX_DATASET_NAME} characters is required."
        raise InvalidInput({"--dataset": [message]})
    return trimmed


async def read_folder(folder: Path) -> list[CatalogEntry]:
    """Scan before opening a transaction: hashing a large folder takes long."""
    if not folder.is_dir():
        raise InvalidInput({"DIR": [f"{folder} is not a folder."]})
    return await scan(LocalFolderStore(folder))


async def import_dataset(
    connection: AsyncConnection, name: str, folder: Path, entries: list[CatalogEntry], *, now: datetime
) -> ImportSummary:
    """Register the scanned files as dataset `name`; re-importing the same folder changes nothing,
    files gone from it are marked removed (orders holding them then fail those files)."""
    name = name.strip()
    if not name or len(name) > MAX_DATASET_NAME or "\x00" in name:
        raise InvalidInput(
            {"--dataset": [f"A dataset name of 1 to {MAX_DATASET_NAME} characters is required."]}
        )
    known = await repository.catalogued_keys(connection, name)
    await repository.save_dataset(connection, name, str(folder.resolve()), now)
    changed = [entry for entry in entries if known.get(entry.storage_key) != (entry.size, entry.md5, False)]
    await repository.save_files(connection, name, changed, now)
    present = {entry.storage_key for entry in entries}
    gone = sorted(key for key, (_size, _md5, removed) in known.items() if not removed and key not in present)
    await repository.mark_removed(connection, name, gone, now)
    return ImportSummary(
        dataset=name,
        products=len({entry.product_id for entry in entries}),
        files=len(entries),
        bytes=sum(entry.size for entry in entries),
        added=sum(1 for entry in changed if entry.storage_key not in known),
        changed=sum(1 for entry in changed if entry.storage_key in known),
        removed=len(gone),
    )
