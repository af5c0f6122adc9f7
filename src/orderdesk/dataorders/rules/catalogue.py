"""Catalogue entries and their rules: each sub-folder of a dataset's folder is a product named after
it, each file directly in the folder a product of its own (named after the file); which dataset and
file names are refused; what a re-import changes."""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from orderdesk.core.errors import InvalidInput
from orderdesk.core.text import has_control_characters
from orderdesk.dataorders.models import CataloguedKey

DEFAULT_MIME_TYPE = "application/octet-stream"
MAX_DATASET_NAME = 200
_BAD_NAME = (
    "A file name cannot contain control characters (CR, LF, TAB …) or bytes that are not UTF-8; rename it."
)


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


DATASET_NAME_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._-]*"
"""A dataset's name is written in baskets, queries (`dataset:NAME`) and URLs: letters, digits, `.`,
`_` and `-`, starting with a letter or digit, so that it needs no quoting anywhere."""
_DATASET_NAME = re.compile(DATASET_NAME_PATTERN)


def dataset_name(name: str) -> str:
    """The name, trimmed; InvalidInput if it is empty, too long or not of DATASET_NAME_PATTERN."""
    trimmed = name.strip()
    if not trimmed or len(trimmed) > MAX_DATASET_NAME or has_control_characters(trimmed):
        message = f"A dataset name of 1 to {MAX_DATASET_NAME} characters is required."
        raise InvalidInput({"--dataset": [message]})
    if not _DATASET_NAME.fullmatch(trimmed):
        allowed = f"letters, digits, '.', '_' and '-' ({DATASET_NAME_PATTERN})"
        message = f"{trimmed!r} is not a dataset name: use {allowed}."
        raise InvalidInput({"--dataset": [message]})
    return trimmed


def check_file_names(entries: Sequence[CatalogEntry]) -> None:
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


@dataclass(frozen=True, slots=True)
class ImportChanges:
    changed: list[CatalogEntry]
    """New entries and entries whose size or MD5 changed, or that were removed and are back."""
    added: int
    gone: list[str]
    """Storage keys catalogued (not removed) that the folder no longer holds, sorted."""


def import_changes(known: Mapping[str, CataloguedKey], entries: Sequence[CatalogEntry]) -> ImportChanges:
    """What importing `entries` changes in a dataset whose catalogue holds `known`."""
    changed = [
        entry
        for entry in entries
        if known.get(entry.storage_key) != CataloguedKey(entry.size, entry.md5, False)
    ]
    present = {entry.storage_key for entry in entries}
    gone = sorted(key for key, held in known.items() if not held.removed and key not in present)
    return ImportChanges(
        changed=changed,
        added=sum(1 for entry in changed if entry.storage_key not in known),
        gone=gone,
    )
