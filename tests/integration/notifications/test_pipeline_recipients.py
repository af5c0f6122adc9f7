"""Recipient resolution at send time, channel by channel, as a user of the API sees it: which
notifications an order gives rise to, with which status, and what lands in the outbox."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from orderdesk.core.db import Database
from orderdesk.notifications.tasks.pipeline import NotificationPipeline
from tests.conftest import Clock
from tests.factories import contacts
from tests.factories.notifications import email_order, order, sms_order
from tests.support.notifications_api import (
    DAYTIME,
    notifications,
    outbox_mail,
    outbox_sms,
    place,
    status,
)

TEMPLATE_EMAIL = {
    "fromAddress": "sender@domain.com",
    "subject": "Hi $recipientName$",
    "body": "Number: $recipientNumber$.",
    "contentType": "Plain",
}
TEMPLATE_SMS = {"senderNumber": "Orderdesk", "body": "Hi $recipientName$ ($recipientNumber$)"}


@pytest.fixture(autouse=True)
async def register(database: Database, clock: Clock) -> None:
    """Contacts known to the register; the clock in the SMS window so SMS go out at once."""
    clock.set(DAYTIME)
    await contacts.load(database)


def statuses(summary: dict[str, Any]) -> list[tuple[str | None, str]]:
    """(address or identifier, status) per notification, sorted."""
    found = []
    for item in summary["notifications"]:
        recipient = item["recipient"]
        key = (
            recipient.get("emailAddress")
            or recipient.get("mobileNumber")
            or recipient.get("nationalIdentityNumber")
            or recipient.get("organizationNumber")
        )
        found.append((key, item["sendStatus"]["status"]))
    return sorted(found)


async def test_email_order__persons_and_organisation__reserved_unknown_and_reachable(
    client: httpx.AsyncClient, auth: dict[str, str], pipeline: NotificationPipeline, outbox_home: Path
) -> None:
    order_id = await place(
        client,
        auth,
        "/orders/email",
        email_order(
            requestedSendTime=None,
            recipients=[
                {"nationalIdentityNumber": contacts.PERSON_WITH_EMAIL},
                {"nationalIdentityNumber": contacts.PERSON_RESERVED},
                {"nationalIdentityNumber": contacts.PERSON_UNKNOWN},
                {"nationalIdentityNumber": contacts.PERSON_WITHOUT_EMAIL},
                {"organizationNumber": contacts.ORGANIZATION},
            ],
        ),
    )
    await pipeline.run_until_idle()

    summary = await notifications(client, auth, order_id, "email")
    assert statuses(summary) == [
        (contacts.PERSON_UNKNOWN, "Failed_RecipientNotIdentified"),
        (contacts.PERSON_WITHOUT_EMAIL, "Failed_RecipientNotIdentified"),
        (contacts.PERSON_RESERVED, "Failed_RecipientReserved"),
        ("ola@example.com", "Delivered"),
        ("post@example.com", "Delivered"),
    ]
    assert (summary["generated"], summary["succeeded"]) == (5, 2)
    assert sorted(message["To"] for message in outbox_mail(outbox_home)) == [
        "ola@example.com",
        "post@example.com",
    ]
    assert (await status(client, auth, order_id))["processingStatus"]["status"] == "Completed"


async def test_email_order__ignore_reservation__the_reserved_person_is_contacted(
    client: httpx.AsyncClient, auth: dict[str, str], pipeline: NotificationPipeline, outbox_home: Path
) -> None:
    order_id = await place(
        client,
        auth,
        "/orders",
        order(
            requestedSendTime=None,
            ignoreReservation=True,
            recipients=[{"nationalIdentityNumber": contacts.PERSON_RESERVED}],
        ),
    )
    await pipeline.run_until_idle()

    assert statuses(await notifications(client, auth, order_id, "email")) == [
        ("kari@example.com", "Delivered")
    ]


async def test_keywords__replaced_for_register_recipients_and_kept_for_direct_addresses(
    client: httpx.AsyncClient, auth: dict[str, str], pipeline: NotificationPipeline, outbox_home: Path
) -> None:
    await place(
        client,
        auth,
        "/orders",
        order(
            requestedSendTime=None,
            recipients=[
                {"nationalIdentityNumber": contacts.PERSON_WITH_EMAIL},
                {"organizationNumber": contacts.ORGANIZATION},
                {"emailAddress": "direct@example.com"},
            ],
            emailTemplate=TEMPLATE_EMAIL,
        ),
    )
    await pipeline.run_until_idle()

    mail = {message["To"]: message for message in outbox_mail(outbox_home)}
    assert mail["ola@example.com"]["Subject"] == "Hi Ola Nordmann"
    assert _text(mail["ola@example.com"]) == "Number: ."  # a person's number is never written
    assert mail["post@example.com"]["Subject"] == "Hi Example AS"
    assert _text(mail["post@example.com"]) == f"Number: {contacts.ORGANIZATION}."
    assert mail["direct@example.com"]["Subject"] == "Hi $recipientName$"


async def test_duplicate_addresses__one_notification_per_address_and_channel(
    client: httpx.AsyncClient, auth: dict[str, str], pipeline: NotificationPipeline, outbox_home: Path
) -> None:
    order_id = await place(
        client,
        auth,
        "/orders/email",
        email_order(
            requestedSendTime=None,
            recipients=[
                {"emailAddress": "Ola@Example.com"},
                {"nationalIdentityNumber": contacts.PERSON_WITH_EMAIL},  # ola@example.com
                {"emailAddress": "post@example.com"},
                {"organizationNumber": contacts.ORGANIZATION},  # post@example.com
            ],
        ),
    )
    await pipeline.run_until_idle()

    summary = await notifications(client, auth, order_id, "email")
    assert summary["generated"] == 2
    assert len(outbox_mail(outbox_home)) == 2


async def test_email_and_sms__every_recipient_gets_both(
    client: httpx.AsyncClient, auth: dict[str, str], pipeline: NotificationPipeline, outbox_home: Path
) -> None:
    order_id = await place(
        client,
        auth,
        "/orders",
        order(
            requestedSendTime=None,
            notificationChannel="EmailAndSms",
            recipients=[
                {"nationalIdentityNumber": contacts.PERSON_WITH_EMAIL},
                {"nationalIdentityNumber": contacts.PERSON_WITHOUT_EMAIL},
            ],
            emailTemplate=TEMPLATE_EMAIL,
            smsTemplate=TEMPLATE_SMS,
        ),
    )
    await pipeline.run_until_idle()

    assert statuses(await notifications(client, auth, order_id, "email")) == [
        (contacts.PERSON_WITHOUT_EMAIL, "Failed_RecipientNotIdentified"),
        ("ola@example.com", "Delivered"),
    ]
    assert statuses(await notifications(client, auth, order_id, "sms")) == [
        ("+4791234567", "Delivered"),
        ("+4799999999", "Delivered"),
    ]
    assert sorted(line["body"] for line in outbox_sms(outbox_home)) == [
        "Hi Ola Nordmann ()",
        "Hi Per Uten Epost ()",
    ]
    body = await status(client, auth, order_id)
    assert body["notificationsStatusSummary"]["email"]["generated"] == 2
    assert body["notificationsStatusSummary"]["sms"]["succeeded"] == 2


@pytest.mark.parametrize(
    ("channel", "expected_email", "expected_sms"),
    [
        (
            "EmailPreferred",
            [("ola@example.com", "Delivered"), ("post@example.com", "Delivered")],
            [("+4791234567", "Delivered")],
        ),
        (
            "SmsPreferred",
            [],
            [("+4791234567", "Delivered"), ("+4798888888", "Delivered"), ("+4799999999", "Delivered")],
        ),
    ],
)
async def test_preferred_channel__preferred_address_else_the_other(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    pipeline: NotificationPipeline,
    channel: str,
    expected_email: list[tuple[str, str]],
    expected_sms: list[tuple[str, str]],
) -> None:
    order_id = await place(
        client,
        auth,
        "/orders",
        order(
            requestedSendTime=None,
            notificationChannel=channel,
            recipients=[
                {"nationalIdentityNumber": contacts.PERSON_WITH_EMAIL},
                {"nationalIdentityNumber": contacts.PERSON_WITHOUT_EMAIL},
                {"organizationNumber": contacts.ORGANIZATION},
            ],
            emailTemplate=TEMPLATE_EMAIL,
            smsTemplate=TEMPLATE_SMS,
        ),
    )
    await pipeline.run_until_idle()

    assert statuses(await notifications(client, auth, order_id, "email")) == expected_email
    assert statuses(await notifications(client, auth, order_id, "sms")) == expected_sms


async def test_preferred_channel__reserved_person__one_reserved_notification_on_the_preferred_channel(
    client: httpx.AsyncClient, auth: dict[str, str], pipeline: NotificationPipeline
) -> None:
    order_id = await place(
        client,
        auth,
        "/orders",
        order(
            requestedSendTime=None,
            notificationChannel="SmsPreferred",
            recipients=[{"nationalIdentityNumber": contacts.PERSON_RESERVED}],
            emailTemplate=TEMPLATE_EMAIL,
            smsTemplate=TEMPLATE_SMS,
        ),
    )
    await pipeline.run_until_idle()

    assert statuses(await notifications(client, auth, order_id, "sms")) == [
        (contacts.PERSON_RESERVED, "Failed_RecipientReserved")
    ]
    assert statuses(await notifications(client, auth, order_id, "email")) == []
    assert (await status(client, auth, order_id))["processingStatus"]["status"] == "Completed"


async def test_sms_order__organisation_with_several_numbers__one_sms_each(
    client: httpx.AsyncClient, auth: dict[str, str], pipeline: NotificationPipeline, database: Database
) -> None:
    await contacts.load(
        database,
        {"organizations": [contacts.organization("910000001", mobileNumbers=["+4791111111", "+4792222222"])]},
    )
    order_id = await place(
        client,
        auth,
        "/orders/sms",
        sms_order(requestedSendTime=None, recipients=[{"organizationNumber": "910000001"}]),
    )
    await pipeline.run_until_idle()

    assert statuses(await notifications(client, auth, order_id, "sms")) == [
        ("+4791111111", "Delivered"),
        ("+4792222222", "Delivered"),
    ]


def _text(message: Any) -> str:
    return str(message.get_payload(decode=True).decode()).strip()
