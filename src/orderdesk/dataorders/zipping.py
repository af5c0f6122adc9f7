"""The zip of an order's available files, streamed: entries are stored (the files are data products,
mostly compressed already), so the archive's length is known before the first byte and it is read
from the staged files as it is sent, never held in memory. Files that cannot be served are listed in
a NOTICE.txt inside the archive instead."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from zipstream import ZIP_STORED, ZipStream

from orderdesk.core.text import replace_control_characters
from orderdesk.dataorders.staging import staged_path

NOTICE_NAME = "NOTICE.txt"
CHUNK_BYTES = 1024 * 1024


@dataclass(slots=True)
class OrderZip:
    stream: ZipStream
    included: list[uuid.UUID] = field(default_factory=list)
    """Files whose bytes are in the archive (a file ordered twice under one name is written once)."""
    failed: dict[uuid.UUID, str] = field(default_factory=dict)
    """Files left out, with the reason written in NOTICE.txt."""

    def __len__(self) -> int:
        return len(self.stream)

    def chunks(self) -> Iterator[bytes]:
        """The archive in pieces of about a megabyte (fewer hand-offs to the event loop)."""
        pending: list[bytes] = []
        held = 0
        for piece in self.stream:
            pending.append(piece)
            held += len(piece)
            if held >= CHUNK_BYTES:
                yield b"".join(pending)
                pending, held = [], 0
        if pending:
            yield b"".join(pending)


def build_zip(files: Sequence[Any], area: Path) -> OrderZip:
    """Plan the archive of `files` (rows of data_order_file) from their staged copies."""
    archive = OrderZip(ZipStream(compress_type=ZIP_STORED, sized=True))
    written: dict[tuple[str, str], str] = {}
    names: set[str] = set()
    notice: list[str] = []
    for row in files:
        path = staged_path(area, row.order_id, row.id)
        problem = _problem_with(path, row.size)
        if problem is not None:
            archive.failed[row.id] = problem
            notice.append(f"Failed to download file ({row.filename}): {problem}.")
            continue
        archive.included.append(row.id)
        if (row.md5, row.filename) in written:
            continue
        name = unique_name(row.filename, names)
        names.add(name)
        written[(row.md5, row.filename)] = name
        archive.stream.add_path(str(path), name)
    if notice:
        archive.stream.add(("\n".join(notice) + "\n").encode(), unique_name(NOTICE_NAME, names))
    return archive


def _problem_with(path: Path, size: int) -> str | None:
    try:
        actual = path.stat().st_size
    except OSError:
        return "the staged copy is missing"
    if actual != size:
        return f"the staged copy holds {actual} bytes instead of {size}"
    return None


def unique_name(filename: str, taken: set[str]) -> str:
    """`name.ext`, or `name (2).ext`, `name (3).ext` … when that name is in the archive already.

    Control characters (from a catalogue imported before they were refused) become `_`: a line break
    is not valid in a metalink's XML and no safe file name for an unzip tool to create."""
    filename = replace_control_characters(filename, "_")
    if filename not in taken:
        return filename
    pure = PurePosixPath(filename)
    number = 2
    while True:
        candidate = f"{pure.stem} ({number}){pure.suffix}"
        if candidate not in taken:
            return candidate
        number += 1
