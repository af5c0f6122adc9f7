"""Use cases of webhook subscriptions, each for one owner: subscribe, list, read, delete, rotate the
signing secret, send a test event, list the delivery attempts, enable a disabled subscription again.
Another owner's subscription is never found."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta
from uuid import UUID

from orderdesk.core.db import Database
from orderdesk.core.errors import InvalidInput
from orderdesk.core.outbound import AddressPolicy, resolve
from orderdesk.core.webhook_signing import new_secret
from orderdesk.webhooks.errors import SubscriptionDisabled, SubscriptionNotFound, TooManySubscriptions
from orderdesk.webhooks.models import AttemptOutcome, AttemptPage, Owner, Subscription, SubscriptionState
from orderdesk.webhooks.repository import attempts, outbox, subscriptions
from orderdesk.webhooks.rules import (
    MAX_SUBSCRIPTIONS_PER_OWNER,
    attempt_id_of_cursor,
    check_url,
    event_problems,
    plain_http_problem,
    subscribed_events,
)

RESOLVE_SECONDS = 3.0
"""How long a plain-http URL's host name may take to resolve when it is subscribed."""


async def subscribe(
    database: Database,
    owner: Owner,
    *,
    url: str,
    events: list[str],
    description: str,
    now: datetime,
    policy: AddressPolicy,
) -> tuple[Subscription, str]:
    """A new active subscription and its signing secret (which is shown this once)."""
    problems = event_problems(owner.kind, events)
    refused_url = await _url_problems(url, policy)
    if refused_url:
        problems["url"] = refused_url
    if problems:
        raise InvalidInput(problems)
    secret = new_secret()
    async with database.transaction() as connection:
        if await subscriptions.count_of(connection, owner) >= MAX_SUBSCRIPTIONS_PER_OWNER:
            raise TooManySubscriptions(
                f"An owner may have {MAX_SUBSCRIPTIONS_PER_OWNER} webhook subscriptions; delete one first."
            )
        created = await subscriptions.insert(
            connection,
            subscription_id=uuid.uuid4(),
            owner=owner,
            url=url,
            events=subscribed_events(events),
            description=description,
            secret=secret,
            now=now,
        )
    return created, secret


async def _url_problems(url: str, policy: AddressPolicy) -> list[str]:
    check = check_url(url, policy)
    if check.plain_http_host is None:
        return check.problems
    host = check.plain_http_host
    try:
        async with asyncio.timeout(RESOLVE_SECONDS):
            addresses = await resolve(host, 80)
    except (OSError, TimeoutError):
        return [f"The URL must use https: {host} cannot be resolved to the operator's own networks."]
    problem = plain_http_problem(host, addresses, policy)
    return [problem] if problem else []


async def list_subscriptions(database: Database, owner: Owner) -> list[Subscription]:
    async with database.read() as connection:
        return await subscriptions.list_of(connection, owner)


async def get_subscription(database: Database, owner: Owner, subscription_id: UUID) -> Subscription:
    async with database.read() as connection:
        found = await subscriptions.get(connection, owner, subscription_id)
    if found is None:
        raise SubscriptionNotFound()
    return found


async def unsubscribe(database: Database, owner: Owner, subscription_id: UUID) -> None:
    """Delete the subscription; its undelivered events go with it."""
    async with database.transaction() as connection:
        if not await subscriptions.remove(connection, owner, subscription_id):
            raise SubscriptionNotFound()


async def rotate_secret(
    database: Database, owner: Owner, subscription_id: UUID, *, now: datetime, overlap: timedelta
) -> tuple[str, datetime]:
    """A new signing secret; the one it replaces signs beside it until the returned time, so that a
    receiver can switch without missing an event."""
    secret = new_secret()
    until = now + overlap
    async with database.transaction() as connection:
        if not await subscriptions.set_secret(
            connection, owner, subscription_id, secret=secret, previous_until=until, now=now
        ):
            raise SubscriptionNotFound()
    return secret, until


async def send_test(database: Database, owner: Owner, subscription_id: UUID, *, now: datetime) -> str:
    """Queue a `webhook.ping` after the subscription's pending events; its `webhook-id`."""
    async with database.transaction() as connection:
        found = await subscriptions.get(connection, owner, subscription_id)
        if found is None:
            raise SubscriptionNotFound()
        if found.state is SubscriptionState.DISABLED:
            raise SubscriptionDisabled(f"The subscription is disabled: {found.disabled_reason}")
        return await outbox.record_ping(connection, subscription_id, now)


async def list_deliveries(
    database: Database,
    owner: Owner,
    subscription_id: UUID,
    *,
    page_size: int,
    cursor: str | None,
    message_id: str | None,
    outcome: AttemptOutcome | None,
) -> AttemptPage:
    """One page of the subscription's attempts, newest first, from `cursor` on (None: the newest).
    InvalidInput (`cursor`) for a cursor no page gave; SubscriptionNotFound for another owner's."""
    below = None if not cursor else attempt_id_of_cursor(cursor)
    async with database.read() as connection:
        if await subscriptions.get(connection, owner, subscription_id) is None:
            raise SubscriptionNotFound()
        return await attempts.list_page(
            connection, subscription_id, below=below, size=page_size, message_id=message_id, outcome=outcome
        )


async def enable_subscription(database: Database, owner: Owner, subscription_id: UUID) -> Subscription:
    """Make a disabled subscription active again with its failures reset (an active one is left as
    it is); its state afterwards. The events it lost while disabled stay failed."""
    async with database.transaction() as connection:
        await subscriptions.enable(connection, owner, subscription_id)
        found = await subscriptions.get(connection, owner, subscription_id)
    if found is None:
        raise SubscriptionNotFound()
    return found
