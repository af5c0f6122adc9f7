"""Registering a folder as a catalogue dataset (the `orderdesk catalog import` command)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.core.errors import InvalidInput
from orderdesk.dataorders.models import DatasetListing, ImportSummary
from orderdesk.dataorders.repository import catalogue
from orderdesk.dataorders.rules.catalogue import CatalogEntry, check_file_names, dataset_name, import_changes
from orderdesk.dataorders.storage.scan import scan
from orderdesk.dataorders.storage.store import LocalFolderStore

__all__ = ["dataset_name", "import_dataset", "list_datasets", "read_folder", "remove_dataset"]


async def read_folder(folder: Path) -> list[CatalogEntry]:
    """Scan before opening a transaction: hashing a large folder takes long."""
    if not folder.is_dir():
        raise InvalidInput({"DIR": [f"{folder} is not a folder."]})
    return await scan(LocalFolderStore(folder))


async def import_dataset(
    connection: AsyncConnection, name: str, folder: Path, entries: list[CatalogEntry], *, now: datetime
) -> ImportSummary:
    """Register the scanned files as dataset `name`; re-importing the same folder changes nothing,
    files gone from it are marked removed (orders holding them then fail those files). InvalidInput,
    with nothing written, for a bad dataset name or file name (rules.catalogue.check_file_names)."""
    name = dataset_name(name)
    check_file_names(entries)
    known = await catalogue.catalogued_keys(connection, name)
    await catalogue.save_dataset(connection, name, str(folder.resolve()), now)
    changes = import_changes(known, entries)
    await catalogue.save_files(connection, name, changes.changed, now)
    await catalogue.mark_removed(connection, name, changes.gone, now)
    return ImportSummary(
        dataset=name,
        products=len({entry.product_id for entry in entries}),
        files=len(entries),
        bytes=sum(entry.size for entry in entries),
        added=changes.added,
        changed=len(changes.changed) - changes.added,
        removed=len(changes.gone),
    )


async def list_datasets(connection: AsyncConnection) -> list[DatasetListing]:
    return await catalogue.list_datasets(connection)


async def remove_dataset(connection: AsyncConnection, name: str) -> bool:
    """Take the dataset out of the catalogue (its files and the basket selections of it go too);
    whether it was there. Orders placed keep their files: those staged already stay downloadable,
    those not yet staged fail as no longer in the catalogue, as when a file leaves the folder."""
    return await catalogue.delete_dataset(connection, name.strip())
