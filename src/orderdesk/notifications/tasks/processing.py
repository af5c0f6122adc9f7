"""Carrying out a due order: check its send condition, look up its recipients, store its
notifications. One transaction per order, guarded by the claim."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from orderdesk.contacts import repository as contacts
from orderdesk.core.db import Database
from orderdesk.core.offload import off_loop_if_large
from orderdesk.notifications.models import Channel, ClaimedOrder, OrderProcessingStatus
from orderdesk.notifications.providers.conditions import SendConditionChecker
from orderdesk.notifications.repository import queue
from orderdesk.notifications.rules.expansion import ExpansionRules, expand_order


class Outcome(StrEnum):
    EXPANDED = "expanded"
    CONDITION_NOT_MET = "condition_not_met"
    POSTPONED = "postponed"
    CLAIM_LOST = "claim_lost"


@dataclass(frozen=True, slots=True)
class Processed:
    outcome: Outcome
    channels: frozenset[Channel] = frozenset()
    """Channels that got notifications to send."""


async def process_order(
    database: Database,
    claim: ClaimedOrder,
    *,
    now: datetime,
    rules: ExpansionRules,
    checker: SendConditionChecker,
    condition_retry_delay: timedelta,
) -> Processed:
    order = claim.order
    if order.condition_endpoint:
        verdict = await checker.check(order.condition_endpoint, attempt=claim.condition_checks + 1)
        # Inconclusive the first time: ask again later. The second time: send anyway.
        if verdict is None and claim.condition_checks == 0:
            async with database.transaction() as connection:
                kept = await queue.postpone_order(
                    connection, claim, now=now, until=now + condition_retry_delay
                )
            return Processed(Outcome.POSTPONED if kept else Outcome.CLAIM_LOST)
        if verdict is False:
            async with database.transaction() as connection:
                kept = await queue.stop_order(
                    connection, claim, OrderProcessingStatus.SEND_CONDITION_NOT_MET, now=now
                )
            return Processed(Outcome.CONDITION_NOT_MET if kept else Outcome.CLAIM_LOST)

    async with database.transaction() as connection:
        nins = [r.national_identity_number for r in order.recipients if r.national_identity_number]
        org_numbers = [r.organization_number for r in order.recipients if r.organization_number]
        persons = await contacts.get_persons(connection, nins)
        organizations = await contacts.get_organizations(connection, org_numbers)
        # Off the loop when large: in `serve` the workers share the API's loop, and a 100 000-recipient
        # expansion held every request for a second.
        notifications = await off_loop_if_large(
            len(order.recipients),
            lambda: expand_order(order, persons, organizations, now=now, rules=rules),
        )
        # A lost claim writes nothing: store_expansion checks it before its first insert.
        if not await queue.store_expansion(connection, claim, notifications, now=now):
            return Processed(Outcome.CLAIM_LOST)
    sendable = frozenset(n.channel for n in notifications if not n.status.is_final)
    return Processed(Outcome.EXPANDED, sendable)
