"""Instant orders: one SMS or e-mail handed to the provider while the client waits, stored only if the
provider took it, and never sent twice for one idempotency id.

The steps, none holding a transaction or a lock across the provider call (the house rule):
1. Claim: one short transaction inserts the chain under its idempotency id together with the order
   (Processed) and its notification, Sending under a lease. A request that finds the id claimed
   stores nothing and sends nothing (see 4).
2. Send, within `send_timeout`.
3. Record: the provider took it → its status is written through `repository.transitions`, exactly
   as the dispatch workers write theirs (a delivery report that arrived first wins; a final status
   completes the order) → 201. It did not (refused, unreachable, temporary failure, timeout) → the
   claim, order and notification are deleted → 503 NOT-00004, and the same id may be sent again.
4. Another request with a claimed id answers 200 with the first answer once the first request has
   recorded its result; while it is still sending, it waits (at most `send_timeout` and a margin,
   then 503 NOT-00004); if the first failed and discarded its claim, this request claims and sends.

A claimant that dies mid-send (process killed) leaves its notification Sending with a lease of
`send_timeout` + `worker_lease_seconds`. When the lease runs out the dispatch workers send it, as they
take over any claim whose worker died (so the message goes out at least once; twice only if the
provider had taken it just before the death), and requests with that id answer 200 at once.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar
from uuid import UUID

import structlog

from orderdesk.core.db import Database
from orderdesk.notifications.errors import ProviderUnavailable
from orderdesk.notifications.models import (
    Change,
    Channel,
    Creator,
    EmailContentType,
    EmailTemplate,
    OrderId,
    SmsTemplate,
)
from orderdesk.notifications.providers.base import OutgoingEmail, Provider, SendResult, SmsMessage
from orderdesk.notifications.repository import instant as repository
from orderdesk.notifications.repository import transitions
from orderdesk.notifications.repository.instant import InstantState, PendingInstant
from orderdesk.notifications.rules.segments import sms_segments
from orderdesk.notifications.service.orders import OrderDefaults
from orderdesk.observability import metrics

_log = structlog.get_logger(__name__)

EMAIL_TIME_TO_LIVE = timedelta(hours=48)
WAIT_MARGIN_SECONDS = 2.0
"""A request waiting on another with the same id waits this much longer than a send may take, so
that the other's result, recorded just after its deadline, is still seen."""
FIRST_POLL_SECONDS = 0.005
MAX_POLL_SECONDS = 0.05
MAX_ERROR_LENGTH = 2000

MessageT = TypeVar("MessageT", OutgoingEmail, SmsMessage)


@dataclass(frozen=True, slots=True)
class InstantSms:
    mobile_number: str
    sender: str | None
    body: str
    time_to_live: timedelta


@dataclass(frozen=True, slots=True)
class InstantEmail:
    email_address: str
    from_address: str | None
    subject: str
    body: str
    content_type: EmailContentType


@dataclass(frozen=True, slots=True)
class InstantOrderRequest:
    idempotency_id: str
    senders_reference: str | None
    message: InstantSms | InstantEmail


@dataclass(frozen=True, slots=True)
class InstantAnswer:
    """`created`: this request sent the message (201); else the first request's answer (200)."""

    created: bool
    receipt: dict[str, Any]


@dataclass(frozen=True, slots=True)
class InstantPolicy:
    send_timeout: timedelta
    claim_margin: timedelta
    """How long the claim outlives the send deadline before workers may take the notification over."""


class _Lazy(Generic[MessageT]):
    def __init__(self, build: Callable[[], Provider[MessageT]]) -> None:
        self._build: Callable[[], Provider[MessageT]] = build
        self.built: Provider[MessageT] | None = None

    def get(self) -> Provider[MessageT]:
        if self.built is None:
            self.built = self._build()
        return self.built


class InstantProviders:
    """The providers instant orders are sent through, one of each per application, built on first use
    (from the same settings and factories as the workers') and closed with the application."""

    def __init__(
        self, email: Callable[[], Provider[OutgoingEmail]], sms: Callable[[], Provider[SmsMessage]]
    ) -> None:
        self._email = _Lazy(email)
        self._sms = _Lazy(sms)

    def email(self) -> Provider[OutgoingEmail]:
        return self._email.get()

    def sms(self) -> Provider[SmsMessage]:
        return self._sms.get()

    async def aclose(self) -> None:
        for provider in (self._email.built, self._sms.built):
            if provider is not None:
                await provider.aclose()


def receipt_of(chain_id: UUID, order_id: OrderId, senders_reference: str | None) -> dict[str, Any]:
    """The answer an instant order is registered with, as it goes on the wire and is kept with the
    chain for repeated requests."""
    shipment: dict[str, Any] = {"shipmentId": str(order_id)}
    if senders_reference is not None:
        shipment["sendersReference"] = senders_reference
    return {"notificationOrderId": str(chain_id), "notification": shipment}


async def place_instant_order(
    database: Database,
    providers: InstantProviders,
    request: InstantOrderRequest,
    *,
    creator: Creator,
    clock: Callable[[], datetime],
    defaults: OrderDefaults,
    policy: InstantPolicy,
) -> InstantAnswer:
    """Send the message now and store the order, or answer as the first request with this id did.

    Raises ProviderUnavailable when the provider did not take the message (nothing is stored), or
    when an earlier request with the same id is still sending after the deadline."""
    give_up = time.monotonic() + policy.send_timeout.total_seconds() + WAIT_MARGIN_SECONDS
    while True:
        pending = _pending(request, creator, clock(), defaults, policy)
        async with database.transaction() as connection:
            claimed = await repository.insert_pending(connection, pending)
        if claimed:
            return await _send(database, providers, pending, clock, policy)
        answer = await _wait_for_earlier(database, creator, request.idempotency_id, clock, give_up)
        if answer is not None:
            return answer
        # The earlier request failed and discarded its claim: this one may claim the id itself.


def _pending(
    request: InstantOrderRequest,
    creator: Creator,
    now: datetime,
    defaults: OrderDefaults,
    policy: InstantPolicy,
) -> PendingInstant:
    chain_id, order_id = uuid.uuid4(), OrderId(uuid.uuid4())
    message = request.message
    common: dict[str, Any] = {
        "chain_id": chain_id,
        "order_id": order_id,
        "notification_id": uuid.uuid4(),
        "creator": creator,
        "idempotency_id": request.idempotency_id,
        "receipt": receipt_of(chain_id, order_id, request.senders_reference),
        "created": now,
        "senders_reference": request.senders_reference,
        "lease_token": uuid.uuid4(),
        "lease_ends": now + policy.send_timeout + policy.claim_margin,
    }
    if isinstance(message, InstantSms):
        return PendingInstant(
            **common,
            channel=Channel.SMS,
            address=message.mobile_number,
            email_template=None,
            sms_template=SmsTemplate(sender_number=message.sender or defaults.sms_sender, body=message.body),
            expires_at=now + message.time_to_live,
            segments=sms_segments(message.body),
        )
    return PendingInstant(
        **common,
        channel=Channel.EMAIL,
        address=message.email_address,
        email_template=EmailTemplate(
            from_address=message.from_address or defaults.email_from_address,
            subject=message.subject,
            body=message.body,
            content_type=message.content_type,
        ),
        sms_template=None,
        expires_at=now + EMAIL_TIME_TO_LIVE,
        segments=None,
    )


async def _send(
    database: Database,
    providers: InstantProviders,
    pending: PendingInstant,
    clock: Callable[[], datetime],
    policy: InstantPolicy,
) -> InstantAnswer:
    if pending.email_template is not None:
        template = pending.email_template
        result = await _within(
            policy,
            providers.email(),
            OutgoingEmail(
                notification_id=pending.notification_id,
                from_address=template.from_address,
                to_address=pending.address,
                subject=template.subject,
                body=template.body,
                content_type=template.content_type,
            ),
        )
    else:
        assert pending.sms_template is not None, "an instant order is an e-mail or an SMS"
        result = await _within(
            policy,
            providers.sms(),
            SmsMessage(
                notification_id=pending.notification_id,
                sender=pending.sms_template.sender_number,
                mobile_number=pending.address,
                body=pending.sms_template.body,
            ),
        )
    if result.status is None:
        _log.info("instant_send_failed", channel=pending.channel.value, error=result.error)
        async with database.transaction() as connection:
            await repository.discard_pending(connection, pending)
        raise ProviderUnavailable()
    change = Change(
        pending.notification_id,
        result.status,
        provider_reference=_storable(result.reference),
        error=_storable(result.error),
    )
    async with database.transaction() as connection:
        # Guarded by the claim's lease like a worker's result: a delivery report that came first has
        # made the status final already, and a final status is never overwritten.
        await transitions.apply(
            connection,
            pending.channel,
            [change],
            now=clock(),
            guard=lambda row, _change: row.lease_token == pending.lease_token,
        )
    metrics.order_placed("notifications", "instant")
    return InstantAnswer(created=True, receipt=pending.receipt)


async def _within(policy: InstantPolicy, provider: Provider[MessageT], message: MessageT) -> SendResult:
    """The provider's answer, or a temporary failure when it takes longer than the deadline or fails."""
    try:
        async with asyncio.timeout(policy.send_timeout.total_seconds()):
            result: SendResult = await provider.send(message)
            return result
    except TimeoutError:
        return SendResult.retry(f"{provider.name} gave no answer within {policy.send_timeout}")
    except Exception as error:  # a provider bug is a failed send, not a 500
        _log.exception("instant_provider_failed", provider=provider.name)
        return SendResult.retry(f"{type(error).__name__}: {error}")


async def _wait_for_earlier(
    database: Database,
    creator: Creator,
    idempotency_id: str,
    clock: Callable[[], datetime],
    give_up: float,
) -> InstantAnswer | None:
    """The earlier request's answer once it has one; None if its claim is gone (its send failed)."""
    delay = FIRST_POLL_SECONDS
    while True:
        async with database.read() as connection:
            state = await repository.get_state(connection, creator, idempotency_id)
        if state is None:
            return None
        if _settled(state, clock()):
            return InstantAnswer(created=False, receipt=state.receipt)
        if time.monotonic() >= give_up:
            raise ProviderUnavailable()
        await asyncio.sleep(delay)
        delay = min(delay * 2, MAX_POLL_SECONDS)


def _settled(state: InstantState, now: datetime) -> bool:
    """Recorded, or left to the workers: the request sending it died and its lease ran out."""
    return not state.in_flight or (state.lease_ends is not None and state.lease_ends <= now)


def _storable(text: str | None) -> str | None:
    """Provider text can hold what no database stores (NUL, lone surrogates): make it storable."""
    if text is None:
        return None
    storable = text.encode("utf-8", errors="replace").decode("utf-8").replace("\x00", "\ufffd")
    return storable[:MAX_ERROR_LENGTH]
