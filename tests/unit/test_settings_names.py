"""Environment variables: the notification worker settings name their family, and the names they had
before still work; staging's poll interval is a setting."""

from __future__ import annotations

import pytest

from orderdesk.settings import DataOrderSettings, NotificationSettings, Settings

RENAMED = {
    "worker_order_batch": ("WORKER_ORDER_BATCH", "7"),
    "worker_dispatch_batch": ("WORKER_DISPATCH_BATCH", "70"),
    "worker_concurrency": ("WORKER_CONCURRENCY", "3"),
    "worker_lease_seconds": ("WORKER_LEASE_SECONDS", "42.0"),
    "worker_poll_seconds": ("WORKER_POLL_SECONDS", "0.25"),
    "retry_base_seconds": ("RETRY_BASE_SECONDS", "2.5"),
    "retry_max_seconds": ("RETRY_MAX_SECONDS", "99.0"),
}


@pytest.mark.parametrize("field", RENAMED)
def test_old_variable_name__still_sets_the_notification_setting(
    field: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    name, value = RENAMED[field]
    monkeypatch.setenv(f"ORDERDESK_{name}", value)
    assert getattr(Settings().notifications, field) == float(value)


@pytest.mark.parametrize("field", RENAMED)
def test_family_variable_name__sets_the_notification_setting(
    field: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    name, value = RENAMED[field]
    monkeypatch.setenv(f"ORDERDESK_NOTIFICATIONS_{name}", value)
    assert getattr(Settings().notifications, field) == float(value)


def test_both_names_set__the_family_name_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDERDESK_WORKER_POLL_SECONDS", "5")
    monkeypatch.setenv("ORDERDESK_NOTIFICATIONS_WORKER_POLL_SECONDS", "2")
    assert NotificationSettings().worker_poll_seconds == 2.0


def test_old_worker_names__do_not_reach_the_heartbeat_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDERDESK_WORKER_POLL_SECONDS", "5")
    monkeypatch.setenv("ORDERDESK_WORKER_HEARTBEAT_SECONDS", "3")
    settings = Settings()
    assert (settings.worker.heartbeat_seconds, settings.notifications.worker_poll_seconds) == (3.0, 5.0)


def test_renamed_setting__still_set_by_its_field_name() -> None:
    assert NotificationSettings(worker_poll_seconds=0.5).worker_poll_seconds == 0.5


def test_staging_poll__defaults_to_one_second() -> None:
    assert DataOrderSettings().staging_poll_seconds == 1.0


def test_staging_poll__from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDERDESK_DATAORDER_STAGING_POLL_SECONDS", "4.5")
    assert Settings().dataorders.staging_poll_seconds == 4.5


def test_status_feed_retention__ninety_days_unless_the_family_variable_says_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert NotificationSettings().status_feed_retention_days == 90
    monkeypatch.setenv("ORDERDESK_NOTIFICATIONS_STATUS_FEED_RETENTION_DAYS", "30")
    assert Settings().notifications.status_feed_retention_days == 30
    assert NotificationSettings(status_feed_retention_days=7).status_feed_retention_days == 7
