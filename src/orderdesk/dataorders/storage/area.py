"""The staging area: AREA/<order id>/<file id> holds the staged copy of an order's file."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from pathlib import Path


def staged_path(area: Path, order_id: int, file_id: uuid.UUID) -> Path:
    return area / str(order_id) / str(file_id)


async def remove_staged_files(area: Path, order_id: int) -> None:
    """Remove the order's staging folder (after its DELETED or EXPIRED status is committed)."""
    await asyncio.to_thread(shutil.rmtree, area / str(order_id), ignore_errors=True)


async def remove_partials(area: Path, order_id: int, file_ids: set[str]) -> None:
    """Half-made copies of these files, left by a worker that died (or lost its lease) mid-copy."""
    await asyncio.to_thread(_remove_partials, area / str(order_id), file_ids)


def _remove_partials(folder: Path, file_ids: set[str]) -> None:
    if not folder.is_dir():
        return
    for path in folder.iterdir():
        if path.suffix == ".partial" and path.name.split(".", 1)[0] in file_ids:
            path.unlink(missing_ok=True)


def order_folders(area: Path) -> set[int]:
    """The orders that have a folder in the area."""
    if not area.is_dir():
        return set()
    return {int(path.name) for path in area.iterdir() if path.is_dir() and path.name.isdigit()}
