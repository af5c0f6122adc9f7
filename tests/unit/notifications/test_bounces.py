"""Reading delivery status notifications (RFC 3464) without a server: what they say and which
notification they are about (rules.bounces)."""

from __future__ import annotations

import uuid

import pytest

from orderdesk.notifications.models import NOTIFICATION_HEADER, EmailStatus
from orderdesk.notifications.rules.bounces import Outcome, parse_bounce

NOTIFICATION = uuid.UUID("12345678-1234-5678-1234-567812345678")
VERP = f"bounces+{NOTIFICATION}@orderdesk.example"


def dsn(
    *,
    action: str = "failed",
    status: str = "5.1.1",
    envelope_id: str | None = None,
    returned: tuple[str, str] | None = None,
    report_type: str = "delivery-status",
) -> bytes:
    lines = [
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.com>",
        "Subject: Undelivered Mail Returned to Sender",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/report; report-type={report_type}; boundary="b"',
        "",
        "--b",
        "Content-Type: text/plain",
        "",
        "Your message could not be delivered.",
        "",
        "--b",
        "Content-Type: message/delivery-status",
        "",
        *([f"Original-Envelope-Id: {envelope_id}"] if envelope_id else []),
        "Reporting-MTA: dns; mx.example.com",
        "",
        "Final-Recipient: rfc822; ola@example.com",
        f"Action: {action}",
        f"Status: {status}",
        "Diagnostic-Code: smtp; 550 5.1.1 User unknown",
        "",
    ]
    if returned is not None:
        lines += ["--b", f"Content-Type: {returned[0]}", "", returned[1], ""]
    return "\r\n".join([*lines, "--b--", ""]).encode()


def test_parse_bounce__permanent_failure__failed_bounced_named_by_verp() -> None:
    bounce = parse_bounce(dsn(), [VERP])
    assert (bounce.outcome, bounce.notification_id) == (Outcome.FAILED, NOTIFICATION)
    assert bounce.raw["status"] == "5.1.1"
    assert bounce.raw["finalRecipient"] == "rfc822; ola@example.com"
    report = bounce.report()
    assert report is not None
    assert (report.status, report.notification_id) == (EmailStatus.FAILED_BOUNCED, NOTIFICATION)


@pytest.mark.parametrize("action", ["delivered", "relayed"])
def test_parse_bounce__success_report__delivered(action: str) -> None:
    bounce = parse_bounce(dsn(action=action, status="2.0.0"), [VERP])
    assert bounce.outcome is Outcome.DELIVERED
    report = bounce.report()
    assert report is not None
    assert report.status is EmailStatus.DELIVERED


@pytest.mark.parametrize(
    ("action", "status"), [("delayed", "4.4.1"), ("failed", "4.2.2"), ("expanded", "2.0.0")]
)
def test_parse_bounce__delay_or_temporary_status__pending_and_nothing_to_apply(
    action: str, status: str
) -> None:
    bounce = parse_bounce(dsn(action=action, status=status), [VERP])
    assert bounce.outcome is Outcome.PENDING
    assert bounce.report() is None


def test_parse_bounce__not_a_delivery_status_report__unreadable_kept_as_dead_letter() -> None:
    bounce = parse_bounce(b"Subject: out of office\r\n\r\nI am away.\r\n", [VERP])
    assert bounce.outcome is Outcome.UNREADABLE
    assert "not a delivery status notification" in bounce.raw["error"]
    report = bounce.report()
    assert report is not None  # it names a notification: kept, with no status (unrecognised)
    assert (report.status, report.notification_id) == (None, NOTIFICATION)


def test_parse_bounce__unreadable_and_naming_nothing__nothing_to_keep() -> None:
    bounce = parse_bounce(b"garbage", ["bounces@orderdesk.example"])
    assert (bounce.outcome, bounce.notification_id, bounce.report()) == (Outcome.UNREADABLE, None, None)


def test_parse_bounce__unknown_action__unreadable() -> None:
    assert parse_bounce(dsn(action="vanished"), [VERP]).outcome is Outcome.UNREADABLE


def test_parse_bounce__without_verp__named_by_original_envelope_id() -> None:
    bounce = parse_bounce(dsn(envelope_id=str(NOTIFICATION)), ["bounces@orderdesk.example"])
    assert bounce.notification_id == NOTIFICATION


def test_parse_bounce__without_verp_or_envid__named_by_the_returned_headers() -> None:
    headers = f"From: noreply@example.com\r\n{NOTIFICATION_HEADER}: {NOTIFICATION}\r\nSubject: Hi\r\n"
    bounce = parse_bounce(dsn(returned=("text/rfc822-headers", headers)), ["bounces@orderdesk.example"])
    assert bounce.notification_id == NOTIFICATION


def test_parse_bounce__returned_message_id__names_the_notification() -> None:
    original = f"Message-ID: <{NOTIFICATION}@orderdesk.example>\r\nSubject: Hi\r\n\r\nBody\r\n"
    bounce = parse_bounce(dsn(returned=("message/rfc822", original)), ["bounces@orderdesk.example"])
    assert bounce.notification_id == NOTIFICATION


def test_parse_bounce__envelope_recipients_kept_in_the_raw_report() -> None:
    assert parse_bounce(dsn(), [VERP]).raw["envelopeRecipients"] == [VERP]
