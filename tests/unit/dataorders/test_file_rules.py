"""File rules: a file is staged only as ordered, and served only while its order may serve it."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from orderdesk.dataorders.errors import FileNotAvailable
from orderdesk.dataorders.models import FileState, FileToStage, OrderFile, OrderStatus, OwnedFile
from orderdesk.dataorders.rules.files import NOT_AS_ORDERED, RETRIED, check_servable, staging_refusal
from orderdesk.dataorders.tables import IN_ERROR

NOW = datetime(2026, 5, 1, 12, tzinfo=UTC)


def to_stage(**overrides: object) -> FileToStage:
    values: dict[str, object] = {
        "id": uuid.uuid4(),
        "storage_key": "A/1",
        "md5": "m",
        "location": "/data",
        "removed_at": None,
        "catalog_md5": "m",
    }
    values.update(overrides)
    return FileToStage(**values)  # type: ignore[arg-type]


def owned(
    state: FileState = FileState.AVAILABLE,
    status: OrderStatus = OrderStatus.RUNNING,
    expires_at: datetime = NOW + timedelta(hours=1),
    error: str | None = None,
) -> OwnedFile:
    file = OrderFile(
        uuid.uuid4(), 1, 1, uuid.uuid4(), "ds", "A", "1", "A/1", 1, "text/plain", "m", state, NOW, error
    )
    return OwnedFile(file, "ola@example.com", status, expires_at)


def test_staging_refusal__as_ordered__none() -> None:
    assert staging_refusal(to_stage()) is None


@pytest.mark.parametrize(
    "overrides",
    [{"location": None}, {"removed_at": NOW}, {"catalog_md5": "changed"}, {"catalog_md5": None}],
)
def test_staging_refusal__dataset_or_file_gone_or_changed__refused(overrides: dict[str, object]) -> None:
    assert staging_refusal(to_stage(**overrides)) == NOT_AS_ORDERED


@pytest.mark.parametrize("state", [FileState.AVAILABLE, FileState.DOWNLOADED, FileState.DOWNLOAD_ERROR])
def test_check_servable__staged_file_of_a_live_order__served(state: FileState) -> None:
    check_servable(owned(state), NOW)


@pytest.mark.parametrize("status", [OrderStatus.DELETED, OrderStatus.EXPIRED])
def test_check_servable__order_gone__not_available(status: OrderStatus) -> None:
    with pytest.raises(FileNotAvailable, match=f"The order is {status.value}"):
        check_servable(owned(status=status), NOW)


def test_check_servable__past_expiry__not_available() -> None:
    with pytest.raises(FileNotAvailable, match="The order expired at 2026-05-01T11:00:00Z"):
        check_servable(owned(expires_at=NOW - timedelta(hours=1)), NOW)


def test_check_servable__file_in_error__its_error() -> None:
    with pytest.raises(FileNotAvailable) as refused:
        check_servable(owned(FileState.ERROR, error="checksum mismatch"), NOW)
    assert refused.value.message == "checksum mismatch"


def test_in_error__the_partial_index_condition__names_exactly_the_retried_states() -> None:
    assert IN_ERROR.startswith("state IN (")
    assert re.findall(r"'(\w+)'", IN_ERROR) == [state.value for state in RETRIED]
