"""Status rules of data orders: which statuses allow which action, and how an order's counters and
status follow from its files (the original's rules)."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from orderdesk.dataorders.errors import ActionNotAllowed
from orderdesk.dataorders.models import GONE, FileState, OrderStatus, Progress, StateTally, SuborderState

_S = OrderStatus
IN_PROGRESS = (_S.PENDING, _S.RUNNING)
FINISHED = (_S.DONE, _S.DONE_WITH_WARNING, _S.FAILED)
SETTLING = (*IN_PROGRESS, _S.PAUSED, *FINISHED)
"""Statuses that follow the files once none is PENDING: a download error turns DONE into
DONE_WITH_WARNING, a later good download of that file turns it back."""
EXPIRING = (_S.PENDING, _S.RUNNING, _S.PAUSED)
"""Past its expiry date, an order in one of these statuses expires."""
EXPIRING_IF_UNREAD = (_S.DONE, _S.DONE_WITH_WARNING)
"""Past its expiry date, an order in one of these statuses expires if files still wait for the user."""
NO_FILES_TO_COME = (*GONE, _S.FAILED.value)
"""No file of an order in one of these statuses can be downloaded (no metalink of it)."""

PAUSABLE = (_S.PENDING, _S.RUNNING)
RESUMABLE = (_S.PAUSED,)
DELETABLE = (_S.DONE, _S.DONE_WITH_WARNING, _S.PAUSED, _S.EXPIRED, _S.FAILED)
RETRYABLE = (_S.DONE_WITH_WARNING, _S.FAILED)
RESTARTABLE = (_S.DONE, _S.DONE_WITH_WARNING, _S.FAILED)


def is_over(status: OrderStatus) -> bool:
    """Finished, expired or deleted: nothing more will become available."""
    return status not in (*IN_PROGRESS, _S.PAUSED)


def is_gone(status: OrderStatus) -> bool:
    """Deleted or expired: its staged files are removed, nothing of it is served any more."""
    return status.value in GONE


def check_action(status: OrderStatus, allowed: Collection[OrderStatus], action: str) -> None:
    """ActionNotAllowed (409) naming the statuses that allow `action` when `status` is not one."""
    if status not in allowed:
        values = [allowed_status.value for allowed_status in allowed]
        names = " or ".join([", ".join(values[:-1]), values[-1]] if len(values) > 1 else values)
        raise ActionNotAllowed(f"Only an order that is {names} can be {action}; this one is {status.value}.")


def check_not_staging(staging_suborders: int, action: str) -> None:
    """ActionNotAllowed while a sub-order of the order is being staged."""
    if staging_suborders > 0:
        raise ActionNotAllowed(
            f"A sub-order of this order is still being staged; it can be {action} once that has stopped."
        )


def progress(tallies: Sequence[StateTally], staged_suborders: int) -> Progress:
    """The order's counters from its files, per state; waiting for the user while a sub-order is
    STAGED (its files wait to be downloaded)."""
    counts = {tally.state: tally.files for tally in tallies}
    sizes = {tally.state: tally.bytes for tally in tallies}
    pending = counts.get(FileState.PENDING, 0)
    # By size, as the original: one large file still staging weighs more than many small ones done.
    total_bytes = sum(sizes.values())
    pending_bytes = sizes.get(FileState.PENDING, 0)
    if total_bytes:
        percent = (100 * (total_bytes - pending_bytes)) // total_bytes
    else:
        percent = 100 if pending == 0 else 0
    return Progress(
        available_files=counts.get(FileState.AVAILABLE, 0),
        files_in_error=counts.get(FileState.ERROR, 0),
        percent_completed=percent,
        waiting_for_user=staged_suborders > 0,
    )


def settled_status(tallies: Sequence[StateTally]) -> OrderStatus | None:
    """The status an order's files give it once none is PENDING (None while one is): FAILED when
    every file is in ERROR, DONE when none failed to stage or download, else DONE_WITH_WARNING."""
    counts = {tally.state: tally.files for tally in tallies}
    if counts.get(FileState.PENDING, 0) > 0:
        return None
    errors = counts.get(FileState.ERROR, 0)
    if errors == sum(counts.values()):
        return _S.FAILED
    if errors + counts.get(FileState.DOWNLOAD_ERROR, 0) == 0:
        return _S.DONE
    return _S.DONE_WITH_WARNING


def suborder_state_after_staging(any_available: bool) -> SuborderState:
    """STAGED (holding its owner's slot) while a file of it waits to be downloaded, else ENDED."""
    return SuborderState.STAGED if any_available else SuborderState.ENDED
