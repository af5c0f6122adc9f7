"""How concurrent instant orders with one idempotency id share one send, on both databases, with a
provider the test holds mid-send (an in-memory fake of the provider protocol): the others wait for the
first; one takes over when the first fails; a claim whose request died is finished by the workers."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from orderdesk.core.db import Database
from orderdesk.notifications.errors import ProviderUnavailable
from orderdesk.notifications.models import Creator, SmsStatus
from orderdesk.notifications.providers.base import OutgoingEmail, SendResult, SmsMessage
from orderdesk.notifications.service.instant import (
    InstantAnswer,
    InstantOrderRequest,
    InstantPolicy,
    InstantProviders,
    InstantSms,
    place_instant_order,
)
from orderdesk.notifications.service.orders import OrderDefaults
from orderdesk.notifications.tasks.pipeline import NotificationPipeline
from tests.conftest import Clock
from tests.integration.notifications.instant_support import stored_counts, stored_notification
from tests.support.notifications_api import DAYTIME, outbox_sms
from tests.support.waiting import eventually

DEFAULTS = OrderDefaults(email_from_address="noreply@orderdesk.test", sms_sender="Orderdesk")
POLICY = InstantPolicy(send_timeout=timedelta(seconds=5), claim_margin=timedelta(seconds=10))
NUMBER = "+4791234567"


class HeldSms:
    """An SMS provider that answers only when the test lets it: each call takes the next answer."""

    name = "sms-held"

    def __init__(self, *answers: SendResult) -> None:
        self.answers = list(answers)
        self.sent: list[SmsMessage] = []
        self.entered = asyncio.Event()
        self.gate = asyncio.Event()

    async def send(self, message: SmsMessage) -> SendResult:
        self.sent.append(message)
        self.entered.set()
        await self.gate.wait()
        return self.answers.pop(0) if self.answers else SendResult(status=SmsStatus.ACCEPTED, reference="ref")

    async def aclose(self) -> None:
        return None


class NoEmail:
    name = "email-none"

    async def send(self, message: OutgoingEmail) -> SendResult:
        raise AssertionError("no e-mail in these tests")

    async def aclose(self) -> None:
        return None


def providers(sms: HeldSms) -> InstantProviders:
    return InstantProviders(email=NoEmail, sms=lambda: sms)


def request(idempotency_id: str = "otp-1") -> InstantOrderRequest:
    return InstantOrderRequest(
        idempotency_id=idempotency_id,
        senders_reference="ref",
        message=InstantSms(
            mobile_number=NUMBER, sender=None, body="Kode: 1234", time_to_live=timedelta(minutes=10)
        ),
    )


async def place(
    database: Database, sms: HeldSms, clock: Clock, policy: InstantPolicy = POLICY
) -> InstantAnswer:
    return await place_instant_order(
        database,
        providers(sms),
        request(),
        creator=Creator("ttd"),
        clock=clock,
        defaults=DEFAULTS,
        policy=policy,
    )


async def test_concurrent_requests__wait_for_the_one_sending__and_answer_with_its_receipt(
    database: Database, clock: Clock
) -> None:
    sms = HeldSms()
    first = asyncio.create_task(place(database, sms, clock))
    await asyncio.wait_for(sms.entered.wait(), 5)
    assert await stored_counts(database) == (1, 1, 1)  # claimed, Sending, before the provider answered

    others = [asyncio.create_task(place(database, sms, clock)) for _ in range(7)]
    await asyncio.sleep(0.2)
    assert not any(task.done() for task in others)  # waiting, not answering a half-done order

    sms.gate.set()
    answers = await asyncio.wait_for(asyncio.gather(first, *others), 10)

    assert [answer.created for answer in answers] == [True] + [False] * 7
    assert all(answer.receipt == answers[0].receipt for answer in answers)
    assert len(sms.sent) == 1
    notification = await stored_notification(
        database, "sms", answers[0].receipt["notification"]["shipmentId"]
    )
    assert notification["status"] == "Accepted"
    assert notification["lease_token"] is None
    assert sms.sent[0].sender == DEFAULTS.sms_sender


async def test_first_request_fails__a_waiting_one_claims_the_id_and_sends(
    database: Database, clock: Clock
) -> None:
    sms = HeldSms(SendResult.retry("gateway down"))
    first = asyncio.create_task(place(database, sms, clock))
    await asyncio.wait_for(sms.entered.wait(), 5)
    others = [asyncio.create_task(place(database, sms, clock)) for _ in range(3)]
    await asyncio.sleep(0.1)

    sms.gate.set()
    with pytest.raises(ProviderUnavailable):
        await asyncio.wait_for(first, 10)
    answers = await asyncio.wait_for(asyncio.gather(*others), 10)

    assert sorted(answer.created for answer in answers) == [False, False, True]
    assert len(sms.sent) == 2  # the failed attempt and the one that went through
    assert await stored_counts(database) == (1, 1, 1)


async def test_request_waiting_past_the_deadline__503_while_the_first_is_still_sending(
    database: Database, clock: Clock
) -> None:
    sms = HeldSms()
    short = InstantPolicy(send_timeout=timedelta(seconds=0.3), claim_margin=timedelta(seconds=60))
    first = asyncio.create_task(place(database, sms, clock, short))
    await asyncio.wait_for(sms.entered.wait(), 5)

    # The first's own deadline ends its send too; what matters here is that the second does not wait
    # for ever on it.
    with pytest.raises(ProviderUnavailable):
        await asyncio.wait_for(place(database, sms, clock, short), 10)
    with pytest.raises(ProviderUnavailable):
        await first
    assert await stored_counts(database) == (0, 0, 0)


async def test_request_that_died_mid_send__its_claim_is_finished_by_the_workers_after_the_lease(
    database: Database, clock: Clock, pipeline: NotificationPipeline, outbox_home: Path
) -> None:
    clock.set(DAYTIME)
    sms = HeldSms()
    dying = asyncio.create_task(place(database, sms, clock))
    await asyncio.wait_for(sms.entered.wait(), 5)
    dying.cancel()  # the process dies: no result, no clean-up
    with pytest.raises(asyncio.CancelledError):
        await dying

    # While its lease runs, the workers leave it alone.
    await pipeline.run_until_idle()
    assert outbox_sms(outbox_home) == []

    clock.advance(POLICY.send_timeout + POLICY.claim_margin + timedelta(seconds=1))
    again = await asyncio.wait_for(place(database, HeldSms(), clock), 5)
    assert again.created is False  # its answer stands; the workers send it
    await pipeline.run_until_idle()

    [sent] = outbox_sms(outbox_home)
    assert sent["to"] == NUMBER

    async def delivered() -> bool:
        shipment = again.receipt["notification"]["shipmentId"]
        status: str = (await stored_notification(database, "sms", shipment))["status"]
        return status == "Delivered"

    await eventually(delivered, what="the worker's result")
