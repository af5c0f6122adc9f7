"""What a refusing SMTP reply means (rules.smtp_replies): retry, pause, or which final status."""

from __future__ import annotations

import pytest

from orderdesk.notifications.models import EmailStatus
from orderdesk.notifications.rules.smtp_replies import ReplyMeaning, Stage, reply_meaning


@pytest.mark.parametrize(
    ("code", "text", "throttled"),
    [
        (450, "4.2.1 Mailbox busy", False),
        (421, "Service not available", True),
        (452, "Too many recipients", True),
        (451, "4.7.1 Rate limit exceeded, try again later", True),
    ],
)
def test_reply_meaning__4xx__temporary(code: int, text: str, throttled: bool) -> None:
    assert reply_meaning(code, text, Stage.RECIPIENT) == ReplyMeaning(status=None, throttled=throttled)


def test_reply_meaning__permanent_refusal_of_the_connection__ours_to_fix_retried_with_a_pause() -> None:
    assert reply_meaning(535, "5.7.8 Authentication failed", Stage.CONNECT) == ReplyMeaning(None, True)


def test_reply_meaning__our_sender_refused__failed_not_the_recipients_fault() -> None:
    assert reply_meaning(550, "5.1.0 Sender rejected", Stage.SENDER).status is EmailStatus.FAILED


@pytest.mark.parametrize(
    ("code", "text", "stage", "status"),
    [
        (550, "5.1.1 User unknown", Stage.RECIPIENT, EmailStatus.FAILED_BOUNCED),
        (501, "Syntax error in address", Stage.RECIPIENT, EmailStatus.FAILED_INVALID_EMAIL_FORMAT),
        (553, "Mailbox name not allowed", Stage.RECIPIENT, EmailStatus.FAILED_INVALID_EMAIL_FORMAT),
        (
            550,
            "5.1.3 Bad destination address syntax",
            Stage.RECIPIENT,
            EmailStatus.FAILED_INVALID_EMAIL_FORMAT,
        ),
        (554, "Message rejected as spam", Stage.DATA, EmailStatus.FAILED_FILTERED_SPAM),
        (550, "5.7.1 Policy rejection", Stage.DATA, EmailStatus.FAILED_FILTERED_SPAM),
        (550, "5.7.1 Relaying denied", Stage.RECIPIENT, EmailStatus.FAILED_BOUNCED),
        (552, "5.3.4 Message too big", Stage.DATA, EmailStatus.FAILED),
        (500, "Command unrecognised", Stage.DATA, EmailStatus.FAILED),
    ],
)
def test_reply_meaning__5xx__final_status_that_fits(
    code: int, text: str, stage: Stage, status: EmailStatus
) -> None:
    assert reply_meaning(code, text, stage) == ReplyMeaning(status=status)
