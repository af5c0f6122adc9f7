"""Names of what the user downloads: files in an archive or a metalink (unique, without control
characters) and the archive and metalink files themselves."""

from __future__ import annotations

from datetime import datetime
from pathlib import PurePosixPath

from orderdesk.core.text import replace_control_characters

NOTICE_NAME = "NOTICE.txt"


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


def zip_filename(order_id: int, now: datetime) -> str:
    return f"order_{order_id}_{now:%Y-%m-%dT%H_%M_%S.%fZ}.zip"


def metalink_filename(order_id: int, now: datetime) -> str:
    return f"order_{order_id}_{now:%Y-%m-%dT%H_%M_%SZ}.metalink"
