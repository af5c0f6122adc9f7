"""Webhook events of notification orders: every status change of an order and of each of its
notifications reaches the creator's subscribed endpoint, signed (verified with the Standard Webhooks
library), in the order the changes happened; nothing reaches another creator, and a change that did
not happen (refused, or rolled back) sends nothing.

E-mail goes through SMTP to a real aiosmtpd server offering DSN (Succeeded, then a delivery report
over the e-mail webhook); SMS through the Kannel provider to a real HTTP peer answering like smsbox
(Accepted, then Kannel's dlr-url)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import quote
from uuid import UUID

import httpx
import pytest

from orderdesk.auth.tokens import COMPOSED_EMAIL_CREATE_SCOPE
from orderdesk.core.db import Database
from orderdesk.core.wakeup import Wakeups
from orderdesk.notifications.models import Channel, DeliveryReport, EmailStatus
from orderdesk.notifications.schemas.webhooks import (
    NotificationStatusChangedEventExt,
    OrderStatusChangedEventExt,
)
from orderdesk.notifications.service.reports import apply_reports
from orderdesk.notifications.tasks.pipeline import NotificationPipeline
from orderdesk.settings import Settings
from orderdesk.webhooks.delivery import DeliveryRules, DeliveryWorker
from tests.conftest import Clock, Tokens
from tests.factories import contacts
from tests.factories.notifications import email_order, order, sms_order
from tests.integration.notifications.instant_support import INSTANT_SMS, sms_body
from tests.support.http_stub import http_stub
from tests.support.kannel import SendsmsPeer, kannel_notification_settings, sendsms_peer
from tests.support.notifications_api import API, DAYTIME, notifications, place, processing_status
from tests.support.smtp_sink import SmtpSink
from tests.support.statements import counting_statements
from tests.support.webhook_receiver import WebhookReceiver, webhook_receiver

BASE_URL = "http://testserver"
EMAIL_REPORTS = f"{API}/reports/email"
CHAINS = f"{API}/future/orders"
HOOKS = f"{API}/webhooks"
NOTIFICATION = "notification.status_changed"
ORDER = "order.status_changed"


@pytest.fixture
def peer() -> Iterator[SendsmsPeer]:
    with sendsms_peer() as running:
        yield running


@pytest.fixture
async def pipeline(
    database: Database, settings: Settings, clock: Clock, peer: SendsmsPeer, sink: SmtpSink
) -> AsyncIterator[NotificationPipeline]:
    """Workers with the Kannel provider (to the peer) on the app's home, so both share the DLR key,
    and the SMTP provider to the sink, which offers DSN: e-mail stays Succeeded, awaiting a report."""
    notification_settings = kannel_notification_settings(
        settings.notifications, sendsms_url=peer.url, public_base_url=BASE_URL
    ).model_copy(
        update={
            "email_provider": "smtp",
            "smtp_host": sink.host,
            "smtp_port": sink.port,
            "smtp_bounce_address": "bounces@orderdesk.test",
        }
    )
    built = NotificationPipeline.build(
        database, notification_settings, settings.home, clock, Wakeups(), outbound=settings.outbound
    )
    yield built
    await built.aclose()


@pytest.fixture
def reporter(tokens: Tokens) -> dict[str, str]:
    return tokens.reporter()


@dataclass(frozen=True)
class Received:
    """One event as its endpoint acknowledged it, its signature verified with the subscription's
    secret: equal to another with the same webhook-id and body."""

    id: str
    body: dict[str, Any]
    headers: dict[str, str] = field(compare=False)


@dataclass(frozen=True)
class Endpoint:
    receiver: WebhookReceiver
    subscription_id: str
    secret: str


@dataclass
class Subscriptions:
    """Endpoints subscribed through the API, each a real local receiver, and the delivery worker."""

    client: httpx.AsyncClient
    worker: DeliveryWorker
    receivers: ExitStack

    async def subscribe(
        self, headers: dict[str, str], events: Sequence[str] = (NOTIFICATION, ORDER)
    ) -> Endpoint:
        receiver = self.receivers.enter_context(webhook_receiver())
        answer = await self.client.post(
            HOOKS, json={"url": receiver.url, "events": list(events), "description": "test"}, headers=headers
        )
        assert answer.status_code == 201, answer.text
        created = answer.json()
        return Endpoint(receiver, created["id"], created["secret"])

    async def delivered(self, endpoint: Endpoint, count: int) -> list[Received]:
        """Every event the endpoint has received once the worker has posted all there is: `count`."""
        while await self.worker.step_and_settle() == 0.0:
            pass
        received = [
            Received(item.message_id, item.verify(endpoint.secret), item.headers)
            for item in endpoint.receiver.acknowledged()
        ]
        assert len(received) == count, [event.body for event in received]
        return received


@pytest.fixture
async def subscriptions(
    client: httpx.AsyncClient, database: Database, settings: Settings, clock: Clock
) -> AsyncIterator[Subscriptions]:
    worker = DeliveryWorker(
        database,
        DeliveryRules.from_settings(settings.webhooks),
        clock,
        settings.outbound.policy,
        max_answer_bytes=settings.webhooks.max_answer_bytes,
    )
    with ExitStack() as receivers:
        yield Subscriptions(client, worker, receivers)
        await worker.aclose()


def changes(received: list[Received], event_type: str, key: str) -> dict[str, list[tuple[Any, Any]]]:
    """(old, new) of each event of `event_type`, per value of the data's `key`, in arrival order."""
    found: dict[str, list[tuple[Any, Any]]] = {}
    for event in received:
        if event.body["type"] == event_type:
            data = event.body["data"]
            found.setdefault(data[key], []).append((data["oldStatus"], data["newStatus"]))
    return found


def of_type(received: list[Received], event_type: str) -> list[dict[str, Any]]:
    return [event.body["data"] for event in received if event.body["type"] == event_type]


def assert_documented(received: list[Received]) -> None:
    """Each body is what the OpenAPI document's `webhooks` section says: its model, every field."""
    for event in received:
        model = (
            NotificationStatusChangedEventExt
            if event.body["type"] == NOTIFICATION
            else OrderStatusChangedEventExt
        )
        parsed = model.model_validate(event.body)
        assert parsed.model_dump(mode="json", by_alias=True).keys() == event.body.keys()
        assert parsed.data.model_dump(by_alias=True).keys() == event.body["data"].keys()
        assert event.body["timestamp"] == event.body["data"]["changedAt"]
        assert event.body["timestamp"].endswith("Z")


async def kannel_calls(
    client: httpx.AsyncClient, dlr_url: str, dlr_type: int, answer: str = ""
) -> httpx.Response:
    """What Kannel does with a dlr-url: fill in %d and %A, then GET it."""
    url = dlr_url.replace("%d", str(dlr_type)).replace("%A", quote(answer, safe=""))
    return await client.get(url.removeprefix(BASE_URL))


async def the_notification(
    client: httpx.AsyncClient, auth: dict[str, str], order_id: str, channel: str
) -> str:
    [only] = (await notifications(client, auth, order_id, channel))["notifications"]
    notification_id: str = only["id"]
    return notification_id


async def test_v1_order_with_email_and_sms__every_event_of_its_life_arrives_signed_in_order(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    reporter: dict[str, str],
    pipeline: NotificationPipeline,
    peer: SendsmsPeer,
    clock: Clock,
    subscriptions: Subscriptions,
) -> None:
    clock.set(DAYTIME)
    endpoint = await subscriptions.subscribe(auth)
    order_id = await place(
        client,
        auth,
        "/orders",
        order(
            requestedSendTime=None,
            notificationChannel="EmailAndSms",
            recipients=[{"emailAddress": "ola@example.com", "mobileNumber": "+4799999999"}],
            smsTemplate={"senderNumber": "Orderdesk", "body": "A text"},
        ),
    )
    await pipeline.run_until_idle()
    email_id = await the_notification(client, auth, order_id, "email")
    sms_id = await the_notification(client, auth, order_id, "sms")

    report = {"notificationId": email_id, "status": "Delivered"}
    assert (await client.post(EMAIL_REPORTS, json=report, headers=reporter)).json()["applied"] == 1
    assert (await kannel_calls(client, peer.dlr_url("+4799999999"), 1)).json()["applied"] == 1
    assert await processing_status(client, auth, order_id) == "Completed"

    received = await subscriptions.delivered(endpoint, count=9)
    assert changes(received, ORDER, "shipmentId") == {
        order_id: [
            ("Order_Registered", "Order_Processing"),
            ("Order_Processing", "Order_Processed"),
            ("Order_Processed", "Order_Completed"),
        ]
    }
    assert changes(received, NOTIFICATION, "notificationId") == {
        email_id: [
            ("Email_New", "Email_Sending"),
            ("Email_Sending", "Email_Succeeded"),
            ("Email_Succeeded", "Email_Delivered"),
        ],
        sms_id: [
            ("SMS_New", "SMS_Sending"),
            ("SMS_Sending", "SMS_Accepted"),
            ("SMS_Accepted", "SMS_Delivered"),
        ],
    }
    # The order completes with its last notification's report: that event comes after it.
    assert received[-1].body["type"] == ORDER
    for data in of_type(received, NOTIFICATION):
        assert (data["orderId"], data["shipmentId"], data["sendersReference"]) == (
            order_id,
            order_id,
            "ref-1",
        )
        assert data["recipient"] == ("ola@example.com" if data["channel"] == "email" else "+4799999999")
    for data in of_type(received, ORDER):
        assert (data["orderType"], data["sendersReference"]) == ("Notification", "ref-1")
    assert_documented(received)
    # Every one verified with the secret, as a receiver would, with the specification's library.
    assert len({event.headers["webhook-id"] for event in received}) == 9


async def test_chain_with_a_reminder__events_of_both_orders_under_the_chains_id(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    pipeline: NotificationPipeline,
    clock: Clock,
    subscriptions: Subscriptions,
) -> None:
    clock.set(DAYTIME)
    endpoint = await subscriptions.subscribe(auth, events=[ORDER])
    response = await client.post(
        CHAINS,
        json={
            "idempotencyId": "webhook-chain-1",
            "sendersReference": "invoice-42",
            "recipient": {"recipientSms": {"phoneNumber": "+4799999999", "smsSettings": {"body": "Due."}}},
            "reminders": [
                {
                    "sendersReference": "invoice-42-r1",
                    "delayDays": 2,
                    "recipient": {
                        "recipientSms": {"phoneNumber": "+4799999999", "smsSettings": {"body": "Overdue."}}
                    },
                }
            ],
        },
        headers=auth,
    )
    assert response.status_code == 201, response.text
    receipt = response.json()
    main_id = receipt["notification"]["shipmentId"]
    [reminder] = receipt["notification"]["reminders"]

    await pipeline.run_until_idle()
    clock.advance(timedelta(days=2, minutes=1))
    await pipeline.run_until_idle()

    received = await subscriptions.delivered(endpoint, count=4)
    # Subscribed to order events only: no notification event is sent to it.
    assert {event.body["type"] for event in received} == {ORDER}
    assert changes(received, ORDER, "shipmentId") == {
        shipment: [("Order_Registered", "Order_Processing"), ("Order_Processing", "Order_Processed")]
        for shipment in (main_id, reminder["shipmentId"])
    }
    shown = {
        (d["shipmentId"], d["orderId"], d["orderType"], d["sendersReference"])
        for d in of_type(received, ORDER)
    }
    assert shown == {
        (main_id, receipt["notificationOrderId"], "Notification", "invoice-42"),
        (reminder["shipmentId"], receipt["notificationOrderId"], "Reminder", "invoice-42-r1"),
    }
    assert_documented(received)


async def test_instant_sms__its_send_and_the_orders_completion(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    subscriptions: Subscriptions,
) -> None:
    endpoint = await subscriptions.subscribe(auth)
    body = sms_body(number="+4791111111", reference="otp-7")

    response = await client.post(INSTANT_SMS, json=body, headers=auth)

    assert response.status_code == 201, response.text
    receipt = response.json()
    received = await subscriptions.delivered(endpoint, count=2)
    # Registered Processed with its notification Sending; the outbox provider delivers it at once.
    [notification] = of_type(received, NOTIFICATION)
    assert (notification["oldStatus"], notification["newStatus"]) == ("SMS_Sending", "SMS_Delivered")
    assert (notification["recipient"], notification["channel"]) == ("+4791111111", "sms")
    [completed] = of_type(received, ORDER)
    assert (completed["oldStatus"], completed["newStatus"]) == ("Order_Processed", "Order_Completed")
    for data in (notification, completed):
        assert data["orderId"] == receipt["notificationOrderId"]
        assert data["shipmentId"] == receipt["notification"]["shipmentId"]
        assert data["sendersReference"] == "otp-7"
    assert completed["orderType"] == "Instant"
    assert_documented(received)


async def test_cancelled_order__one_event__a_refused_cancel_none(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    pipeline: NotificationPipeline,
    clock: Clock,
    subscriptions: Subscriptions,
) -> None:
    clock.set(DAYTIME)
    endpoint = await subscriptions.subscribe(auth)
    later = (DAYTIME + timedelta(days=1)).isoformat()
    cancelled = await place(client, auth, "/orders", order(requestedSendTime=later))
    started = await place(client, auth, "/orders", order(requestedSendTime=None, sendersReference="ref-2"))
    await pipeline.run_until_idle()
    received_before = await subscriptions.delivered(endpoint, count=4)

    assert (await client.put(f"{API}/orders/{cancelled}/cancel", headers=auth)).status_code == 200
    assert (await client.put(f"{API}/orders/{cancelled}/cancel", headers=auth)).status_code == 200
    refused = await client.put(f"{API}/orders/{started}/cancel", headers=auth)

    assert refused.status_code == 409
    received = await subscriptions.delivered(endpoint, count=5)
    assert received[:4] == received_before
    assert changes(received, ORDER, "shipmentId") == {
        cancelled: [("Order_Registered", "Order_Cancelled")],
        started: [
            ("Order_Registered", "Order_Processing"),
            ("Order_Processing", "Order_Processed"),
        ],
    }
    assert_documented(received)


async def test_sms_without_a_report_before_it_expires__failed_ttl_and_the_order_completes(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    pipeline: NotificationPipeline,
    peer: SendsmsPeer,
    clock: Clock,
    subscriptions: Subscriptions,
) -> None:
    clock.set(DAYTIME)
    endpoint = await subscriptions.subscribe(auth, events=[NOTIFICATION, ORDER])
    order_id = await place(client, auth, "/orders/sms", sms_order(requestedSendTime=None))
    await pipeline.run_until_idle()
    clock.advance(timedelta(hours=49))
    await pipeline.run_until_idle()
    # Too late: the report is kept as a dead letter, and changes nothing.
    late = await kannel_calls(client, peer.dlr_url("+4799999999"), 1)
    assert late.json()["deadLetterReasons"] == {"ALREADY_FINAL": 1}

    received = await subscriptions.delivered(endpoint, count=6)
    sms_id = await the_notification(client, auth, order_id, "sms")
    assert changes(received, NOTIFICATION, "notificationId") == {
        sms_id: [
            ("SMS_New", "SMS_Sending"),
            ("SMS_Sending", "SMS_Accepted"),
            ("SMS_Accepted", "SMS_Failed_TTL"),
        ]
    }
    assert changes(received, ORDER, "shipmentId")[order_id][-1] == ("Order_Processed", "Order_Completed")
    assert received[-1].body["data"]["newStatus"] == "Order_Completed"


async def test_reserved_recipient__notification_born_failed__one_event_without_old_status(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    pipeline: NotificationPipeline,
    database: Database,
    subscriptions: Subscriptions,
) -> None:
    await contacts.load(database)
    endpoint = await subscriptions.subscribe(auth)
    order_id = await place(
        client,
        auth,
        "/orders",
        order(requestedSendTime=None, recipients=[{"nationalIdentityNumber": contacts.PERSON_RESERVED}]),
    )

    await pipeline.run_until_idle()

    received = await subscriptions.delivered(endpoint, count=3)
    email_id = await the_notification(client, auth, order_id, "email")
    [born] = of_type(received, NOTIFICATION)
    assert born["notificationId"] == email_id
    assert (born["oldStatus"], born["newStatus"]) == (None, "Email_Failed_RecipientReserved")
    assert born["recipient"] is None  # a reserved person's address is not looked up
    # Every notification final at birth: the order goes from Processing to Completed at once.
    assert changes(received, ORDER, "shipmentId") == {
        order_id: [("Order_Registered", "Order_Processing"), ("Order_Processing", "Order_Completed")]
    }
    assert [event.body["type"] for event in received] == [ORDER, NOTIFICATION, ORDER]
    assert_documented(received)


async def test_another_creators_subscription__receives_nothing_of_these_orders(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    tokens: Tokens,
    pipeline: NotificationPipeline,
    clock: Clock,
    subscriptions: Subscriptions,
) -> None:
    clock.set(DAYTIME)
    theirs = await subscriptions.subscribe(tokens.bearer("skd"))
    ours = await subscriptions.subscribe(auth)
    await place(client, auth, "/orders", order(requestedSendTime=None))
    their_order = await place(client, tokens.bearer("skd"), "/orders", order(requestedSendTime=None))
    await pipeline.run_until_idle()

    mine = await subscriptions.delivered(ours, count=4)
    their_events = await subscriptions.delivered(theirs, count=4)
    assert {event.body["data"]["shipmentId"] for event in their_events} == {their_order}
    assert their_order not in {event.body["data"]["shipmentId"] for event in mine}


class Refused(Exception):
    """Raised inside a transaction to roll it back."""


async def apply_then_fail(database: Database, notification_id: UUID, clock: Clock) -> None:
    async with database.transaction() as connection:
        report = DeliveryReport(
            EmailStatus.DELIVERED, {"status": "Delivered"}, notification_id=notification_id
        )
        result = await apply_reports(connection, Channel.EMAIL, [report], now=clock(), max_dead_rows=10)
        assert result.applied == 1
        raise Refused


async def test_a_change_rolled_back__sends_nothing(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    reporter: dict[str, str],
    pipeline: NotificationPipeline,
    database: Database,
    clock: Clock,
    subscriptions: Subscriptions,
) -> None:
    clock.set(DAYTIME)
    endpoint = await subscriptions.subscribe(auth, events=[NOTIFICATION])
    order_id = await place(client, auth, "/orders", order(requestedSendTime=None))
    await pipeline.run_until_idle()
    email_id = await the_notification(client, auth, order_id, "email")
    before = await subscriptions.delivered(endpoint, count=2)

    # A report applied, then its transaction fails: the status stays, and so must the receiver.
    with pytest.raises(Refused):
        await apply_then_fail(database, UUID(email_id), clock)
    # A report refused by its guard (the notification expired) changes nothing either.
    clock.advance(timedelta(hours=49))
    expired = await client.post(
        EMAIL_REPORTS, json={"notificationId": email_id, "status": "Delivered"}, headers=reporter
    )
    assert expired.json()["deadLetterReasons"] == {"NOTIFICATION_EXPIRED": 1}

    assert (await notifications(client, auth, order_id, "email"))["notifications"][0]["sendStatus"][
        "status"
    ] == "Succeeded"
    assert await subscriptions.delivered(endpoint, count=2) == before


async def test_creator_without_a_subscription__one_read_of_subscriptions_per_batch_and_no_event(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    tokens: Tokens,
    pipeline: NotificationPipeline,
    database: Database,
    clock: Clock,
    subscriptions: Subscriptions,
) -> None:
    clock.set(DAYTIME)
    theirs = await subscriptions.subscribe(tokens.bearer("skd"))
    recipients = [{"emailAddress": f"person{index}@example.com"} for index in range(40)]
    await place(client, auth, "/orders", order(requestedSendTime=None, recipients=recipients))

    async with counting_statements(database) as statements:
        await pipeline.run_until_idle()

    webhook_statements = [s for s in statements if "webhook_" in s]
    assert all(s.lstrip().upper().startswith("SELECT") for s in webhook_statements), webhook_statements
    assert not any("webhook_event" in s for s in webhook_statements)
    # The claim of the order, its expansion, the claim of its e-mails and their results: a read per
    # batch, never one per notification.
    assert 4 <= len(webhook_statements) < 10, webhook_statements
    await subscriptions.delivered(theirs, count=0)


async def test_email_retried_after_the_relay_refused__handed_back_new_then_sent(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    pipeline: NotificationPipeline,
    sink: SmtpSink,
    clock: Clock,
    subscriptions: Subscriptions,
) -> None:
    clock.set(DAYTIME)
    endpoint = await subscriptions.subscribe(auth, events=[NOTIFICATION])
    await sink.refuse_connections()
    order_id = await place(client, auth, "/orders", order(requestedSendTime=None))
    await pipeline.run_until_idle()

    await sink.accept_connections()
    clock.advance(timedelta(hours=1))
    await pipeline.run_until_idle()

    email_id = await the_notification(client, auth, order_id, "email")
    received = await subscriptions.delivered(endpoint, count=4)
    assert changes(received, NOTIFICATION, "notificationId") == {
        email_id: [
            ("Email_New", "Email_Sending"),
            ("Email_Sending", "Email_New"),
            ("Email_New", "Email_Sending"),
            ("Email_Sending", "Email_Succeeded"),
        ]
    }


async def test_send_condition__inconclusive_then_not_met__postponed_and_stopped(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    pipeline: NotificationPipeline,
    clock: Clock,
    subscriptions: Subscriptions,
) -> None:
    endpoint = await subscriptions.subscribe(auth, events=[ORDER])
    with http_stub() as stub:
        condition = stub.answer("/condition", 500, "{}")
        order_id = await place(
            client, auth, "/orders/email", email_order(requestedSendTime=None, conditionEndpoint=condition)
        )
        await pipeline.run_until_idle()
        stub.answer("/condition", 200, '{"sendNotification": false}')
        clock.advance(timedelta(seconds=pipeline.settings.condition_retry_delay_seconds + 1))
        await pipeline.run_until_idle()

    assert await processing_status(client, auth, order_id) == "SendConditionNotMet"
    received = await subscriptions.delivered(endpoint, count=4)
    assert changes(received, ORDER, "shipmentId") == {
        order_id: [
            ("Order_Registered", "Order_Processing"),
            ("Order_Processing", "Order_Registered"),
            ("Order_Registered", "Order_Processing"),
            ("Order_Processing", "Order_SendConditionNotMet"),
        ]
    }
    assert_documented(received)


async def test_composed_email__events_name_the_composed_order_under_its_receipts_id(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    tokens: Tokens,
    pipeline: NotificationPipeline,
    subscriptions: Subscriptions,
) -> None:
    endpoint = await subscriptions.subscribe(auth)
    response = await client.post(
        f"{API}/future/orders/composed-email",
        json={
            "idempotencyId": "webhook-composed-1",
            "sendersReference": "ref-42",
            "recipient": {
                "emailAddress": "ola@example.com",
                "emailSettings": {"subject": "Your invoice", "body": "It is ready.", "attachments": []},
            },
        },
        headers=tokens.bearer("ttd", scopes=(COMPOSED_EMAIL_CREATE_SCOPE,)),
    )
    assert response.status_code == 201, response.text
    receipt = response.json()
    shipment_id = receipt["notification"]["shipmentId"]

    await pipeline.run_until_idle()

    received = await subscriptions.delivered(endpoint, count=4)
    email_id = await the_notification(client, auth, shipment_id, "email")
    assert changes(received, ORDER, "shipmentId") == {
        shipment_id: [("Order_Registered", "Order_Processing"), ("Order_Processing", "Order_Processed")]
    }
    assert changes(received, NOTIFICATION, "notificationId") == {
        email_id: [("Email_New", "Email_Sending"), ("Email_Sending", "Email_Succeeded")]
    }
    for data in (event.body["data"] for event in received):
        assert (data["orderId"], data["sendersReference"]) == (receipt["notificationOrderId"], "ref-42")
    assert {data["orderType"] for data in of_type(received, ORDER)} == {"Composed"}
    assert_documented(received)
