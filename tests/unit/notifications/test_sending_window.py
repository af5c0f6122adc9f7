"""The daytime window of v1 SMS: open strictly between the hours, local time, across DST changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from orderdesk.notifications.rules.sending_window import SendingWindow

WINDOW = SendingWindow()  # 09-17 Europe/Oslo: UTC+1 in winter, UTC+2 in summer


def utc(year: int, month: int, day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def test_is_open__during_the_day_local_time() -> None:
    assert WINDOW.is_open(utc(2026, 1, 15, 8, 30))  # 09:30 in Oslo
    assert WINDOW.is_open(utc(2026, 7, 15, 14, 59))  # 16:59 in Oslo (summer time)


def test_is_open__before_and_after_the_hours__closed() -> None:
    assert not WINDOW.is_open(utc(2026, 1, 15, 7, 59))  # 08:59
    assert not WINDOW.is_open(utc(2026, 1, 15, 16, 0))  # 17:00
    assert not WINDOW.is_open(utc(2026, 1, 15, 23, 0))  # midnight


def test_is_open__at_the_start_hour_exactly__closed_then_open_a_moment_later() -> None:
    assert not WINDOW.is_open(utc(2026, 1, 15, 8, 0))
    assert WINDOW.is_open(utc(2026, 1, 15, 8, 0) + timedelta(microseconds=1))


def test_is_open__end_hour_24__open_until_midnight() -> None:
    late = SendingWindow(start_hour=0, end_hour=24, time_zone="UTC")
    assert late.is_open(utc(2026, 1, 15, 23, 59, 59))
    assert not late.is_open(utc(2026, 1, 15, 0, 0))


def test_next_opening__while_open__now() -> None:
    now = utc(2026, 1, 15, 12, 0)
    assert WINDOW.next_opening(now) == now


def test_next_opening__early_morning__same_day_at_the_start_hour() -> None:
    assert WINDOW.next_opening(utc(2026, 1, 15, 5, 0)) == utc(2026, 1, 15, 8, 0)


def test_next_opening__evening__next_day_at_the_start_hour() -> None:
    assert WINDOW.next_opening(utc(2026, 1, 15, 18, 0)) == utc(2026, 1, 16, 8, 0)


def test_next_opening__over_the_spring_dst_change__local_start_hour_kept() -> None:
    # 28 March 2026 21:00 CET; the clocks go forward that night: 09:00 CEST is 07:00 UTC.
    assert WINDOW.next_opening(utc(2026, 3, 28, 20, 0)) == utc(2026, 3, 29, 7, 0)


def test_next_opening__keeps_the_callers_time_zone() -> None:
    assert WINDOW.next_opening(utc(2026, 1, 15, 18, 0)).tzinfo is UTC


def test_expiry__message_waiting_for_the_window__lives_from_the_opening() -> None:
    ttl = timedelta(hours=48)
    assert WINDOW.expiry(utc(2026, 1, 15, 18, 0), ttl) == utc(2026, 1, 16, 8, 0) + ttl
    assert WINDOW.expiry(utc(2026, 1, 15, 12, 0), ttl) == utc(2026, 1, 15, 12, 0) + ttl
