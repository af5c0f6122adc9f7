"""Rules of an order chain that need the clock or the outbound policy: send times not in the past
(this generation gives no grace), reminder times that exist, condition endpoints that may be called.

The shape of the request (one recipient kind, the settings its channel needs, delayDays or a time) is
checked by the wire models; this module sees a chain whose fields are well formed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from orderdesk.core.errors import InvalidInput
from orderdesk.core.outbound import AddressPolicy, refused_fields
from orderdesk.notifications.models import ChainOrder, ChainRequest

SEND_TIME_IN_PAST = "The send time cannot be in the past."
DELAY_OUT_OF_RANGE = "The reminder's send time, delayDays after the main notification's, is out of range."


def validate_chain(chain: ChainRequest, now: datetime, outbound: AddressPolicy) -> None:
    """Raise InvalidInput naming every field that does not hold at `now`."""
    errors = refused_fields(
        outbound,
        [
            ("conditionEndpoint", chain.main.request.condition_endpoint),
            *(
                (f"reminders[{index}].conditionEndpoint", reminder.request.condition_endpoint)
                for index, reminder in enumerate(chain.reminders)
            ),
        ],
    )
    main_time = chain.main.request.requested_send_time
    if main_time is not None and main_time < now:
        errors.setdefault("requestedSendTime", []).append(SEND_TIME_IN_PAST)
    for index, reminder in enumerate(chain.reminders):
        own_time = reminder.request.requested_send_time
        if own_time is not None and own_time < now:
            errors.setdefault(f"reminders[{index}].requestedSendTime", []).append(SEND_TIME_IN_PAST)
        if reminder.delay_days is not None and reminder_time(main_time or now, reminder) is None:
            errors.setdefault(f"reminders[{index}].delayDays", []).append(DELAY_OUT_OF_RANGE)
    if errors:
        raise InvalidInput(errors)


def send_times(chain: ChainRequest, now: datetime) -> list[datetime]:
    """When each order of a validated chain is sent, main first: the main order now unless it says
    otherwise, each reminder at its own time or `delayDays` after the main order."""
    main_time = chain.main.request.requested_send_time or now
    return [main_time, *(reminder_time(main_time, reminder) or main_time for reminder in chain.reminders)]


def reminder_time(main_time: datetime, reminder: ChainOrder) -> datetime | None:
    """The reminder's send time; None when `delayDays` after `main_time` is past the calendar's end."""
    if reminder.delay_days is None:
        return reminder.request.requested_send_time or main_time
    try:
        return main_time + timedelta(days=reminder.delay_days)
    except OverflowError:
        return None
