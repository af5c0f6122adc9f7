"""Order status rules: what each status allows, and the counters and status an order's files give it."""

from __future__ import annotations

import pytest

from orderdesk.dataorders.errors import ActionNotAllowed
from orderdesk.dataorders.models import FileState, OrderStatus, Progress, StateTally, SuborderState
from orderdesk.dataorders.rules.status import (
    DELETABLE,
    PAUSABLE,
    check_action,
    check_not_staging,
    is_gone,
    is_over,
    progress,
    settled_status,
    suborder_state_after_staging,
)

S = OrderStatus
F = FileState


def tally(state: FileState, files: int, size: int) -> StateTally:
    return StateTally(state, files, size)


@pytest.mark.parametrize("status", [S.PENDING, S.RUNNING, S.PAUSED])
def test_is_over__in_progress_or_paused__not_over(status: OrderStatus) -> None:
    assert not is_over(status)


@pytest.mark.parametrize("status", [S.DONE, S.DONE_WITH_WARNING, S.FAILED, S.EXPIRED, S.DELETED])
def test_is_over__finished_expired_or_deleted__over(status: OrderStatus) -> None:
    assert is_over(status)


def test_is_gone__only_deleted_and_expired() -> None:
    assert [status for status in S if is_gone(status)] == [S.EXPIRED, S.DELETED]


def test_check_action__allowed__passes() -> None:
    check_action(S.RUNNING, PAUSABLE, "paused")


def test_check_action__forbidden__conflict_naming_the_allowed_statuses() -> None:
    with pytest.raises(ActionNotAllowed) as refused:
        check_action(S.RUNNING, DELETABLE, "deleted")
    assert refused.value.message == (
        "Only an order that is DONE, DONE_WITH_WARNING, PAUSED, EXPIRED or FAILED can be deleted; "
        "this one is RUNNING."
    )


def test_check_action__one_allowed_status__named_alone() -> None:
    with pytest.raises(ActionNotAllowed) as refused:
        check_action(S.DONE, (S.PAUSED,), "resumed")
    assert refused.value.message == "Only an order that is PAUSED can be resumed; this one is DONE."


def test_check_not_staging__a_suborder_staging__conflict() -> None:
    check_not_staging(0, "deleted")
    with pytest.raises(ActionNotAllowed, match="still being staged; it can be deleted"):
        check_not_staging(1, "deleted")


def test_progress__by_size__a_large_pending_file_weighs_more() -> None:
    counters = progress([tally(F.AVAILABLE, 9, 100), tally(F.PENDING, 1, 900)], staged_suborders=1)
    assert counters == Progress(
        available_files=9, files_in_error=0, percent_completed=10, waiting_for_user=True
    )


def test_progress__rounded_down() -> None:
    assert progress([tally(F.DOWNLOADED, 2, 2), tally(F.PENDING, 1, 1)], 0).percent_completed == 66


def test_progress__empty_files__done_when_none_pending() -> None:
    assert progress([tally(F.AVAILABLE, 2, 0)], 0).percent_completed == 100
    assert progress([tally(F.PENDING, 2, 0)], 0).percent_completed == 0


def test_progress__errors_counted__not_waiting_without_a_staged_suborder() -> None:
    counters = progress([tally(F.ERROR, 3, 30), tally(F.DOWNLOAD_ERROR, 1, 10)], staged_suborders=0)
    assert (counters.files_in_error, counters.available_files, counters.waiting_for_user) == (3, 0, False)


def test_settled_status__a_file_pending__none_yet() -> None:
    assert settled_status([tally(F.PENDING, 1, 1), tally(F.AVAILABLE, 5, 5)]) is None


@pytest.mark.parametrize(
    ("tallies", "expected"),
    [
        ([tally(F.AVAILABLE, 2, 2), tally(F.DOWNLOADED, 1, 1)], S.DONE),
        ([tally(F.ERROR, 3, 3)], S.FAILED),
        ([tally(F.ERROR, 1, 1), tally(F.AVAILABLE, 1, 1)], S.DONE_WITH_WARNING),
        ([tally(F.DOWNLOAD_ERROR, 1, 1), tally(F.DOWNLOADED, 1, 1)], S.DONE_WITH_WARNING),
        ([tally(F.DOWNLOAD_ERROR, 1, 1)], S.DONE_WITH_WARNING),
    ],
)
def test_settled_status__no_file_pending__by_the_errors(
    tallies: list[StateTally], expected: OrderStatus
) -> None:
    assert settled_status(tallies) == expected


def test_suborder_state_after_staging__files_wait__staged_else_ended() -> None:
    assert suborder_state_after_staging(True) == SuborderState.STAGED
    assert suborder_state_after_staging(False) == SuborderState.ENDED
