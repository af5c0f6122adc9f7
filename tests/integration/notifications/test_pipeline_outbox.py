"""Orders placed over HTTP are carried out by the workers and land in the outbox: e-mail as .eml
files in a Maildir, SMS as JSON lines; the status endpoints tell the story at every step."""

from __future__ import annotations

from pathlib import Path

import httpx

from orderdesk.contacts import repository as contacts_repository
from orderdesk.contacts.models import Person
from orderdesk.core.db import Database
from orderdesk.notifications.tasks.pipeline import NotificationPipeline
from tests.conftest import Clock
from tests.factories import contacts
from tests.factories.notifications import email_order, order, sms_order
from tests.support.notifications_api import (
    DAYTIME,
    counts,
    notifications,
    outbox_mail,
    outbox_sms,
    place,
    status,
)


async def test_email_order_due_now__lands_in_the_maildir_and_completes(
    client: httpx.AsyncClient, auth: dict[str, str], pipeline: NotificationPipeline, outbox_home: Path
) -> None:
    order_id = await place(
        client,
        auth,
        "/orders/email",
        email_order(
            requestedSendTime=None,
            recipients=[{"emailAddress": "ola@example.com"}],
            subject="Your order",
            body="Hello from orderdesk",
        ),
    )
    assert (await status(client, auth, order_id))["processingStatus"]["status"] == "Registered"

    await pipeline.run_until_idle()

    [message] = outbox_mail(outbox_home)
    assert message["To"] == "ola@example.com"
    assert message["Subject"] == "Your order"
    assert message.get_payload(decode=True).decode().strip() == "Hello from orderdesk"  # type: ignore[union-attr]
    after = await status(client, auth, order_id)
    assert after["processingStatus"]["status"] == "Completed"
    assert counts(after, "email") == (1, 1)
    summary = await notifications(client, auth, order_id, "email")
    [notification] = summary["notifications"]
    assert notification["sendStatus"]["status"] == "Delivered"
    assert notification["succeeded"] is True
    assert notification["recipient"]["emailAddress"] == "ola@example.com"


async def test_sms_order_in_the_window__written_as_a_json_line(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    pipeline: NotificationPipeline,
    outbox_home: Path,
    clock: Clock,
) -> None:
    clock.set(DAYTIME)
    order_id = await place(
        client, auth, "/orders/sms", sms_order(requestedSendTime=None, senderNumber="Orderdesk")
    )
    await pipeline.run_until_idle()

    [line] = outbox_sms(outbox_home)
    assert (line["to"], line["from"], line["body"]) == ("+4799999999", "Orderdesk", "A text")
    after = await status(client, auth, order_id)
    assert after["processingStatus"]["status"] == "Completed"
    assert counts(after, "sms") == (1, 1)


async def test_email_that_cannot_be_rendered__failed_at_once__the_others_written(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    pipeline: NotificationPipeline,
    outbox_home: Path,
    database: Database,
) -> None:
    # A register address with a line break, stored before the import refused such values: it can
    # never be written as a header, so retrying until expiry would gain nothing.
    async with database.transaction() as connection:
        await contacts_repository.upsert_persons(
            connection, [Person(contacts.PERSON_WITH_EMAIL, "Åse", "åse@example.com\r\n", None, False)]
        )
    order_id = await place(
        client,
        auth,
        "/orders",
        order(
            requestedSendTime=None,
            recipients=[
                {"nationalIdentityNumber": contacts.PERSON_WITH_EMAIL},
                {"emailAddress": "direct@example.com"},
            ],
            emailTemplate={"subject": "Hello $recipientName$", "body": "Dear you.", "contentType": "Plain"},
        ),
    )

    await pipeline.run_until_idle()

    summary = await notifications(client, auth, order_id, "email")
    shown = {n["recipient"]["emailAddress"]: n["sendStatus"]["status"] for n in summary["notifications"]}
    assert shown == {"åse@example.com\r\n": "Failed_InvalidEmailFormat", "direct@example.com": "Delivered"}
    [message] = outbox_mail(outbox_home)
    assert message["To"] == "direct@example.com"
    assert (await status(client, auth, order_id))["processingStatus"]["status"] == "Completed"
