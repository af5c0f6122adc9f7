"""What the providers' delivery reports mean: Kannel's report types and SMSC answers, and the e-mail
webhook's states (those of Azure Communication Services, as the original maps them)."""

from __future__ import annotations

import re

from orderdesk.notifications.models import EmailStatus, SmsStatus

REPORT_PATH = "/notifications/api/v1/reports/kannel"
"""Where Kannel sends delivery reports (the dlr-url the Kannel provider hands out); api.reports
serves this path."""
DLR_MASK = 31
"""Every report Kannel knows: delivered (1), failed (2), buffered (4), SMSC accepted (8) and
rejected (16)."""

# Kannel's DLR types (%d).
DLR_DELIVERED = 1
DLR_UNDELIVERED = 2
DLR_BUFFERED = 4
DLR_SMSC_ACCEPTED = 8
DLR_SMSC_REJECTED = 16

_SMSC_STAT = re.compile(r"\bstat:\s*([A-Za-z]+)", re.IGNORECASE)
_FAILED_BY_SMSC_STAT = {
    "EXPIRED": SmsStatus.FAILED_EXPIRED,
    "DELETED": SmsStatus.FAILED_DELETED,
    "REJECTD": SmsStatus.FAILED_REJECTED,
    "UNDELIV": SmsStatus.FAILED_UNDELIVERED,
    "UNKNOWN": SmsStatus.FAILED,
    "BARRED": SmsStatus.FAILED_BARRED_RECEIVER,
}


def kannel_report_status(dlr_type: int, answer: str | None) -> SmsStatus | None:
    """The status a Kannel delivery report means; None for a type we do not know.

    Buffered (4) and accepted by the SMSC (8) are on the way, so they keep the SMS Accepted. A
    failure (2) is told apart by the `stat:` of the SMSC's answer (SMPP receipts) when there is one.
    """
    if dlr_type == DLR_DELIVERED:
        return SmsStatus.DELIVERED
    if dlr_type == DLR_UNDELIVERED:
        match = _SMSC_STAT.search(answer or "")
        stat = match.group(1).upper() if match else ""
        return _FAILED_BY_SMSC_STAT.get(stat, SmsStatus.FAILED_UNDELIVERED)
    if dlr_type == DLR_SMSC_REJECTED:
        return SmsStatus.FAILED_REJECTED
    if dlr_type in (DLR_BUFFERED, DLR_SMSC_ACCEPTED):
        return SmsStatus.ACCEPTED
    return None


EMAIL_STATES: dict[str, EmailStatus] = {
    "delivered": EmailStatus.DELIVERED,
    "bounced": EmailStatus.FAILED_BOUNCED,
    "failed": EmailStatus.FAILED,
    "expanded": EmailStatus.FAILED,
    "filteredspam": EmailStatus.FAILED_FILTERED_SPAM,
    "quarantined": EmailStatus.FAILED_QUARANTINED,
    "suppressed": EmailStatus.FAILED_SUPPRESSED_RECIPIENT,
}
"""The delivery states of Azure Communication Services e-mail, lower case."""


def email_report_status(state: str) -> EmailStatus | None:
    """The status an e-mail webhook state means (case does not matter); None for one we do not know."""
    return EMAIL_STATES.get(state.lower())
