"""The zip of an order's available files, streamed: entries are stored (the files are data products,
mostly compressed already), so the archive's length is known before the first byte and it is read
from the staged files as it is sent, never held in memory. Files that cannot be served are listed in
a NOTICE.txt inside the archive instead."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from zipstream import ZIP_STORED, ZipStream

from orderdesk.dataorders.models import OrderFile
from orderdesk.dataorders.rules.names import NOTICE_NAME, unique_name
from orderdesk.dataorders.storage.area import staged_path

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


def build_zip(files: Sequence[OrderFile], area: Path) -> OrderZip:
    """Plan the archive of `files` from their staged copies (it stats every file: run it off the loop)."""
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
