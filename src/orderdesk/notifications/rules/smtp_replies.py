"""What a refusing SMTP reply means for the notification: try again (perhaps after a pause), or a
final status that says whose fault it was."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from orderdesk.notifications.models import EmailStatus

_ENHANCED = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_THROTTLED = re.compile(r"too many|rate|limit|throttl|slow down|try again later", re.IGNORECASE)
_SPAM = re.compile(r"spam|blocked|blacklist|blocklist|reputation", re.IGNORECASE)


class Stage(Enum):
    """Where in the SMTP exchange a reply came: it decides whose fault a permanent failure is."""

    CONNECT = "connect"
    SENDER = "sender"
    RECIPIENT = "recipient"
    DATA = "data"


@dataclass(frozen=True, slots=True)
class ReplyMeaning:
    """`status` None: temporary, send again later; `throttled`: and pause the provider first."""

    status: EmailStatus | None
    throttled: bool = False


def reply_meaning(code: int, text: str, stage: Stage) -> ReplyMeaning:
    """4xx is always temporary; 421, 452 and replies that speak of rate limits also pause the provider.
    A permanent refusal of the connection, greeting or login is ours to fix, not the recipient's, so
    it is retried (with a pause) rather than failing every notification in the queue.
    """
    if code < 500 or stage is Stage.CONNECT:
        throttled = code in (421, 452) or stage is Stage.CONNECT or bool(_THROTTLED.search(text))
        return ReplyMeaning(status=None, throttled=throttled)
    return ReplyMeaning(status=permanent_status(code, text, stage))


def permanent_status(code: int, text: str, stage: Stage) -> EmailStatus:
    """The final status of a notification whose message got a 5xx reply at `stage`."""
    if stage is Stage.SENDER:
        return EmailStatus.FAILED  # our envelope sender was refused: nothing wrong with the recipient
    enhanced = _ENHANCED.search(text)
    detail = (int(enhanced[2]), int(enhanced[3])) if enhanced else None
    if code in (501, 553) or detail == (1, 3):
        return EmailStatus.FAILED_INVALID_EMAIL_FORMAT
    if code in (550, 551, 552, 554):
        if _SPAM.search(text) or (detail is not None and detail[0] == 7 and stage is Stage.DATA):
            return EmailStatus.FAILED_FILTERED_SPAM
        if detail is not None and detail[0] == 3:
            return EmailStatus.FAILED  # the relay's own limits (e.g. 5.3.4 message too big)
        return EmailStatus.FAILED_BOUNCED
    return EmailStatus.FAILED
