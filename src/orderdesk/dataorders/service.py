"""Use cases of data orders so far: registering a folder as a catalogue dataset, and the basket."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.core.errors import InvalidInput
from orderdesk.core.text import has_control_characters
from orderdesk.dataorders import repository
from orderdesk.dataorders.catalog import CatalogEntry, scan
from orderdesk.dataorders.errors import DatasetNotFound
from orderdesk.dataorders.models import Basket, ImportSummary, SelectionSummary
from orderdesk.dataorders.selection import (
    MAX_BASKET_SELECTIONS,
    MAX_PRODUCT_IDS,
    Selection,
    checked_pattern,
    product_ids_of_query,
)
from orderdesk.dataorders.storage import LocalFolderStore

MAX_DATASET_NAME = 200
_BAD_NAME = (
    "A file name cannot contain control characters (CR, LF, TAB …) or bytes that are not UTF-8; rename it."
)


def dataset_name(name: str) -> str:
    """The name, trimmed; InvalidInput if it is empty, too long or holds a control character."""
    trimmed = name.strip()
    if not trimmed or len(trimmed) > MAX_DATASET_NAME or has_control_characters(trimmed):
        message = f"A dataset name of 1 to {MAX_DATASET_NAME} characters is required."
        raise InvalidInput({"--dataset": [message]})
    return trimmed


async def read_folder(folder: Path) -> list[CatalogEntry]:
    """Scan before opening a transaction: hashing a large folder takes long."""
    if not folder.is_dir():
        raise InvalidInput({"DIR": [f"{folder} is not a folder."]})
    return await scan(LocalFolderStore(folder))


def check_file_names(entries: list[CatalogEntry]) -> None:
    """InvalidInput naming every file whose path holds a control character (CR, LF, TAB …) or is not
    UTF-8: such a name cannot be sent in a header, shown in a listing or saved safely by a user."""
    bad = [
        entry.storage_key
        for entry in entries
        if has_control_characters(entry.storage_key) or not _is_utf8(entry.storage_key)
    ]
    if bad:
        raise InvalidInput({ascii(key): [_BAD_NAME] for key in bad})


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes of the file system, as lone surrogates
        return False
    return True


async def import_dataset(
    connection: AsyncConnection, name: str, folder: Path, entries: list[CatalogEntry], *, now: datetime
) -> ImportSummary:
    """Register the scanned files as dataset `name`; re-importing the same folder changes nothing,
    files gone from it are marked removed (orders holding them then fail those files). InvalidInput,
    with nothing written, for a bad dataset name or file name (`check_file_names`)."""
    name = dataset_name(name)
    check_file_names(entries)
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


async def add_to_basket(
    connection: AsyncConnection,
    owner: str,
    *,
    dataset: str,
    product_ids: list[str] | None,
    query: str | None,
    filename_pattern: str | None,
    now: datetime,
) -> Basket | None:
    """Add a selection to the user's basket. DatasetNotFound for an unknown dataset; None (nothing
    stored) when no catalogued file matches, e.g. unknown product ids."""
    if product_ids is not None and query is not None:
        raise InvalidInput({"query": ["Give productIds or a query, not both."]})
    ids = product_ids_of_query(query) if query is not None else product_ids
    selection = Selection(
        dataset=dataset,
        product_ids=tuple(dict.fromkeys(ids)) if ids is not None else None,
        filename_pattern=checked_pattern(filename_pattern),
    )
    if not await repository.dataset_exists(connection, dataset):
        raise DatasetNotFound(f"No dataset named {dataset!r} is in the catalogue.")
    if not await repository.selected_files(connection, selection):
        return None
    _check_room(await repository.basket_of(connection, owner), selection, "query" if query else "productIds")
    await repository.add_selection(connection, owner, selection, now)
    return await get_basket(connection, owner)


def _check_room(basket: list[tuple[Any, Selection]], selection: Selection, field: str) -> None:
    """InvalidInput when the selection would take the basket past its caps (see `selection`)."""
    if len(basket) >= MAX_BASKET_SELECTIONS:
        message = f"A basket holds at most {MAX_BASKET_SELECTIONS} selections; order or empty it first."
        raise InvalidInput({"selections": [message]})
    held = sum(len(kept.product_ids or ()) for _id, kept in basket)
    adding = len(selection.product_ids or ())
    if held + adding > MAX_PRODUCT_IDS:
        raise InvalidInput(
            {
                field: [
                    f"A basket holds at most {MAX_PRODUCT_IDS} product ids: it holds {held} and this "
                    f"selection names {adding}; order or empty it first."
                ]
            }
        )


async def get_basket(connection: AsyncConnection, owner: str) -> Basket:
    summaries = []
    for selection_id, selection in await repository.basket_of(connection, owner):
        files = await repository.selected_files(connection, selection)
        summaries.append(
            SelectionSummary(
                id=selection_id,
                dataset=selection.dataset,
                product_ids=selection.product_ids,
                filename_pattern=selection.filename_pattern,
                products=len({row.product_id for row in files}),
                files=len(files),
                bytes=sum(row.size for row in files),
            )
        )
    return Basket(owner=owner, selections=summaries)


async def empty_basket(connection: AsyncConnection, owner: str) -> None:
    await repository.empty_basket(connection, owner)
