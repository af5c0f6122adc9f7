"""The providers' delivery-report vocabularies (rules.delivery_reports) and what a dead letter keeps of
a report (rules.dead_letters)."""

from __future__ import annotations

import json

import pytest

from orderdesk.notifications.models import EmailStatus, SmsStatus
from orderdesk.notifications.rules.dead_letters import MAX_KEPT_REPORT_CHARS, storable
from orderdesk.notifications.rules.delivery_reports import (
    DLR_MASK,
    email_report_status,
    kannel_report_status,
)


@pytest.mark.parametrize(
    ("dlr_type", "status"),
    [
        (1, SmsStatus.DELIVERED),
        (4, SmsStatus.ACCEPTED),
        (8, SmsStatus.ACCEPTED),
        (16, SmsStatus.FAILED_REJECTED),
    ],
)
def test_kannel_report_status__by_type(dlr_type: int, status: SmsStatus) -> None:
    assert kannel_report_status(dlr_type, None) is status


@pytest.mark.parametrize(
    ("answer", "status"),
    [
        ("id:1 sub:001 dlvrd:000 stat:EXPIRED err:000", SmsStatus.FAILED_EXPIRED),
        ("id:1 stat:deleted", SmsStatus.FAILED_DELETED),
        ("stat:REJECTD", SmsStatus.FAILED_REJECTED),
        ("stat:UNDELIV", SmsStatus.FAILED_UNDELIVERED),
        ("stat:UNKNOWN", SmsStatus.FAILED),
        ("stat:BARRED", SmsStatus.FAILED_BARRED_RECEIVER),
        ("stat:SOMETHINGELSE", SmsStatus.FAILED_UNDELIVERED),
        (None, SmsStatus.FAILED_UNDELIVERED),
    ],
)
def test_kannel_report_status__failure__told_apart_by_the_smsc_stat(
    answer: str | None, status: SmsStatus
) -> None:
    assert kannel_report_status(2, answer) is status


@pytest.mark.parametrize("dlr_type", [0, 3, 32, -1])
def test_kannel_report_status__unknown_type__none(dlr_type: int) -> None:
    assert kannel_report_status(dlr_type, "stat:DELIVRD") is None


def test_dlr_mask__asks_for_every_report_type() -> None:
    assert DLR_MASK == 1 | 2 | 4 | 8 | 16


@pytest.mark.parametrize(
    ("state", "status"),
    [
        ("Delivered", EmailStatus.DELIVERED),
        ("BOUNCED", EmailStatus.FAILED_BOUNCED),
        ("failed", EmailStatus.FAILED),
        ("Expanded", EmailStatus.FAILED),
        ("FilteredSpam", EmailStatus.FAILED_FILTERED_SPAM),
        ("Quarantined", EmailStatus.FAILED_QUARANTINED),
        ("Suppressed", EmailStatus.FAILED_SUPPRESSED_RECIPIENT),
    ],
)
def test_email_report_status__azure_states_case_insensitively(state: str, status: EmailStatus) -> None:
    assert email_report_status(state) is status


def test_email_report_status__unknown_state__none() -> None:
    assert email_report_status("OutForDelivery") is None


def test_storable__small_report__kept_as_it_came() -> None:
    report = {"notificationId": "x", "status": "Delivered", "extra": [1, 2, 3]}
    assert storable(report) is report


def test_storable__large_report__identifying_keys_and_its_size() -> None:
    report = {
        "notificationId": "n" * 300,
        "status": "Bounced",
        "other": None,
        "padding": "x" * MAX_KEPT_REPORT_CHARS,
    }
    kept = storable(report)
    assert kept == {
        "notificationId": "n" * 200,
        "status": "Bounced",
        "truncated": {"characters": len(json.dumps(report))},
    }
    assert len(json.dumps(kept)) < MAX_KEPT_REPORT_CHARS
