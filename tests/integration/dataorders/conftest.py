"""A small catalogue on disk, imported into the test database as users of the service would."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from orderdesk.core.db import Database
from orderdesk.dataorders.service import import_dataset, read_folder


@pytest.fixture
async def catalog(database: Database, tmp_path: Path) -> Path:
    """Dataset `ds1`: products A (two files), B (one), and the top-level file `top.dat`."""
    root = tmp_path / "catalog"
    (root / "A").mkdir(parents=True)
    (root / "B").mkdir()
    (root / "A" / "a1.txt").write_text("alpha one\n")
    (root / "A" / "a2.csv").write_text("x,y\n")
    (root / "B" / "b1.txt").write_bytes(b"b" * 1000)
    (root / "top.dat").write_bytes(b"top")
    entries = await read_folder(root)
    async with database.transaction() as connection:
        await import_dataset(connection, "ds1", root, entries, now=datetime.now(UTC))
    return root
