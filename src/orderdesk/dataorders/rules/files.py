"""Rules of an order's files: which may be staged, which served, which retried."""

from __future__ import annotations

from datetime import datetime

from orderdesk.dataorders.errors import FileNotAvailable
from orderdesk.dataorders.models import FileState, FileToStage, OwnedFile
from orderdesk.dataorders.rules.status import is_gone

SERVABLE = (FileState.AVAILABLE, FileState.DOWNLOADED, FileState.DOWNLOAD_ERROR)
NOT_DONE = (FileState.AVAILABLE, FileState.PENDING)
"""A staged sub-order with a file in one of these states still waits for its owner."""
RETRIED = (FileState.ERROR, FileState.DOWNLOAD_ERROR)
"""Files staged again when their order is retried."""
NOT_AS_ORDERED = "The file is no longer in the catalogue as ordered."


def staging_refusal(file: FileToStage) -> str | None:
    """Why the file cannot be staged (its dataset or entry is gone from the catalogue, or it changed
    since it was ordered), or None."""
    if file.location is None or file.removed_at is not None or file.catalog_md5 != file.md5:
        return NOT_AS_ORDERED
    return None


def check_servable(owned: OwnedFile, now: datetime) -> None:
    """FileNotAvailable (422) when a file no longer PENDING cannot be served: its order is deleted,
    expired or past its expiry, or the file failed to stage."""
    if is_gone(owned.order_status):
        raise FileNotAvailable(f"The order is {owned.order_status.value}: its staged files were removed.")
    if owned.order_expires_at < now:
        raise FileNotAvailable(f"The order expired at {owned.order_expires_at:%Y-%m-%dT%H:%M:%SZ}.")
    if owned.file.state not in SERVABLE:
        raise FileNotAvailable(owned.file.error or "The file could not be made available.")
