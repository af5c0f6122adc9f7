"""The rules of webhooks: which URLs may be subscribed, which events an owner may ask for, what
one failed attempt leaves (wait, give up the event, disable the subscription), and the cursor of the
deliveries list."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from orderdesk.core.backoff import Backoff
from orderdesk.core.errors import InvalidInput
from orderdesk.core.outbound import AddressPolicy, IPAddress, literal_address
from orderdesk.webhooks.models import EVENTS_OF, EventType, OwnerKind

MAX_SUBSCRIPTIONS_PER_OWNER = 20
"""Each subscription multiplies the owner's events: a bound keeps one owner from flooding the outbox."""
MAX_URL_LENGTH = 2048
MAX_DESCRIPTION_LENGTH = 500

DELIVERIES_PAGE_SIZE = 20
MAX_DELIVERIES_PAGE_SIZE = 100
MAX_MESSAGE_ID_LENGTH = 100
"""Longer than any `webhook-id` orderdesk makes (`msg_` and 32 hex digits): a longer filter finds nothing."""
CURSOR_PATTERN = "^[0-9a-f]{1,15}$"
"""A deliveries cursor: an attempt id in hex, below 2**60, well inside the table's 64-bit ids."""
_CURSOR = re.compile(CURSOR_PATTERN.strip("^$"))


@dataclass(frozen=True, slots=True)
class UrlCheck:
    problems: list[str]
    """Why the URL may not be subscribed (empty: it may, as far as can be told without resolving)."""
    plain_http_host: str | None = None
    """A plain-http URL's host name: its addresses must all lie in the operator's own networks."""


def check_url(url: str, policy: AddressPolicy) -> UrlCheck:
    """https only, except inside the operator's own networks (`ORDERDESK_OUTBOUND_ALLOWED_NETWORKS`),
    which may be called over plain http. A literal address that outbound calls may not reach is
    refused now; a name's addresses are checked again each time an event is posted."""
    if len(url) > MAX_URL_LENGTH:
        return UrlCheck([f"The URL is longer than {MAX_URL_LENGTH} characters."])
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 (raises ValueError for a port out of range)
    except ValueError:
        return UrlCheck(["The URL is not a valid absolute URL."])
    if parts.scheme not in ("https", "http") or not host:
        return UrlCheck(["The URL must be an absolute https URL."])
    address = literal_address(host)
    if parts.scheme == "http":
        if not policy.allowed:
            return UrlCheck(
                ["The URL must use https: plain http is only for the operator's own networks (none are set)."]
            )
        if address is None:
            return UrlCheck([], plain_http_host=host)
        if not policy.allows_network_of(address):
            return UrlCheck([f"The URL must use https: {address} is not in the operator's own networks."])
    problem = policy.url_problem(url)
    return UrlCheck([problem] if problem else [])


def plain_http_problem(host: str, addresses: Sequence[IPAddress], policy: AddressPolicy) -> str | None:
    """Why a plain-http URL naming `host` may not be subscribed, now that its addresses are known."""
    outside = [str(address) for address in addresses if not policy.allows_network_of(address)]
    if not addresses or outside:
        return (
            f"The URL must use https: {host} resolves to {', '.join(outside) or 'nothing'}, "
            "outside the operator's own networks."
        )
    return None


def event_problems(kind: OwnerKind, events: Sequence[str]) -> dict[str, list[str]]:
    """Unknown or foreign event types, by field (`events[1]`); an empty list is refused too."""
    if not events:
        return {"events": ["At least one event type is required."]}
    allowed = {event.value for event in EVENTS_OF[kind]}
    return {
        f"events[{index}]": [f"Unknown event type {name!r}: one of {', '.join(sorted(allowed))}."]
        for index, name in enumerate(events)
        if name not in allowed
    }


def subscribed_events(events: Sequence[str]) -> tuple[EventType, ...]:
    """The event types asked for, each once, in the order first given."""
    return tuple(EventType(name) for name in dict.fromkeys(events))


@dataclass(frozen=True, slots=True)
class RetryRules:
    backoff: Backoff
    give_up_after: timedelta
    disable_after: timedelta


@dataclass(frozen=True, slots=True)
class FailureOutcome:
    retry_at: datetime
    """When the subscription's next attempt may be made."""
    give_up_event: bool
    """The failed event has been retried for the whole window: mark it failed and go on to the next."""
    disable_reason: str | None
    """Set when the subscription is to be disabled now."""


def after_failure(
    rules: RetryRules,
    *,
    now: datetime,
    event_created_at: datetime,
    consecutive_failures: int,
    failing_since: datetime,
    status_code: int | None,
    error: str,
) -> FailureOutcome:
    """What an attempt that failed leaves: `consecutive_failures` counts this one."""
    if status_code == 410:
        return FailureOutcome(now, True, "The endpoint answered 410 Gone.")
    if now - failing_since >= rules.disable_after:
        days = rules.disable_after.total_seconds() / 86400
        return FailureOutcome(now, True, f"Every attempt failed for {days:g} days; the last: {error}"[:1000])
    # The next attempt waits its delay even when this event is given up: the next event would most
    # likely fail the same way, and a dead endpoint is not to be hammered with a backlog.
    give_up = now - event_created_at >= rules.give_up_after
    return FailureOutcome(now + rules.backoff.delay(consecutive_failures), give_up, None)


def deliveries_cursor(attempt_id: int) -> str:
    """The cursor of the page that starts below attempt `attempt_id` (the list is newest first)."""
    return format(attempt_id, "x")


def attempt_id_of_cursor(cursor: str) -> int:
    """The attempt id a cursor names. Opaque to clients, but any text of `CURSOR_PATTERN` is one the
    databases can compare (a page below it, perhaps empty), as the OpenAPI document states; anything
    else is InvalidInput naming `cursor`: a number past the database's integers would otherwise reach
    the driver, which refuses it with an error of its own (a 500)."""
    if _CURSOR.fullmatch(cursor) is None:
        raise InvalidInput({"cursor": ["The cursor is not one a deliveries page gave."]})
    return int(cursor, 16)
