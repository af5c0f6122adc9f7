"""E-mail header injection (issue 13, finding 6): no address or header value with a control character
is accepted by any API or import, and whatever is stored, no message that reaches the outbox or an
SMTP relay carries a header the sender did not write."""

from __future__ import annotations

import email
import email.policy
import json
from datetime import UTC, datetime
from email.message import EmailMessage as ParsedMessage
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest
from pydantic import ValidationError

from orderdesk.contacts import repository as contacts_repository
from orderdesk.contacts.models import Organization, Person
from orderdesk.core.db import Database
from orderdesk.core.errors import InvalidInput
from orderdesk.core.wakeup import Wakeups
from orderdesk.notifications.models import NOTIFICATION_HEADER, EmailContentType, EmailStatus
from orderdesk.notifications.providers.base import OutgoingEmail
from orderdesk.notifications.providers.outbox import EmailOutbox
from orderdesk.notifications.providers.smtp import SmtpProvider
from orderdesk.notifications.tasks.pipeline import NotificationPipeline
from orderdesk.settings import NotificationSettings, Settings
from tests.conftest import Clock
from tests.factories import contacts
from tests.factories.notifications import email_order, order, sms_order
from tests.support.notifications_api import notifications, place, status
from tests.support.processes import run_orderdesk
from tests.support.smtp_sink import SmtpSink

API = "/notifications/api/v1"
EVIL = "evil@attacker.example"
# The finding's address: a quoted local part whose quoted pair is a CR, then a header of its own.
QUOTED_CR = f'"a\\\rBcc: {EVIL}"@example.com'
CRLF_HEADER = f"ola@example.com\r\nBcc: {EVIL}"


# ---- the API refuses them -------------------------------------------------------------------------


def _template(**overrides: Any) -> dict[str, Any]:
    return {"fromAddress": "sender@domain.com", "subject": "A subject", "body": "A body", **overrides}


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (
            "/orders/email",
            email_order(recipients=[{"emailAddress": QUOTED_CR}]),
            "recipients[0].emailAddress",
        ),
        (
            "/orders/email",
            email_order(recipients=[{"emailAddress": CRLF_HEADER}]),
            "recipients[0].emailAddress",
        ),
        (
            "/orders/email",
            email_order(recipients=[{"emailAddress": "ola@example.com\r\n"}]),
            "recipients[0].emailAddress",
        ),
        (
            "/orders/email",
            email_order(recipients=[{"emailAddress": "ola\t@example.com"}]),
            "recipients[0].emailAddress",
        ),
        ("/orders/email", email_order(subject="A\x1b[31m subject"), "subject"),
        ("/orders", order(recipients=[{"emailAddress": QUOTED_CR}]), "recipients[0].emailAddress"),
        ("/orders", order(emailTemplate=_template(fromAddress=QUOTED_CR)), "emailTemplate.fromAddress"),
        (
            "/orders",
            order(emailTemplate=_template(fromAddress="sender@domain.com\n")),
            "emailTemplate.fromAddress",
        ),
        ("/orders", order(emailTemplate=_template(subject="A\tsubject")), "emailTemplate.subject"),
        ("/orders/sms", sms_order(senderNumber="Altinn\r\n"), "senderNumber"),
    ],
)
async def test_register_order__control_character_in_an_address_or_header__400_naming_the_field(
    client: httpx.AsyncClient, auth: dict[str, str], path: str, body: dict[str, Any], field: str
) -> None:
    response = await client.post(f"{API}{path}", json=body, headers=auth)

    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    errors = response.json()["errors"]
    assert field in errors, errors
    stored = await client.get(f"{API}/orders", params={"sendersReference": "ref-1"}, headers=auth)
    assert stored.json()["count"] == 0


@pytest.mark.parametrize(
    ("document", "field"),
    [
        (
            {"persons": [contacts.person(contacts.PERSON_WITH_EMAIL, email=QUOTED_CR)]},
            "persons[0].email",
        ),
        (
            {"persons": [contacts.person(contacts.PERSON_WITH_EMAIL, email="ola@example.com\r\n")]},
            "persons[0].email",
        ),
        (
            {"persons": [contacts.person(contacts.PERSON_WITH_EMAIL, name=f"Ola\r\nBcc: {EVIL}")]},
            "persons[0].name",
        ),
        (
            {"organizations": [contacts.organization(contacts.ORGANIZATION, emails=[CRLF_HEADER])]},
            "organizations[0].emails[0]",
        ),
        (
            {"organizations": [contacts.organization(contacts.ORGANIZATION, name="Example\x85AS")]},
            "organizations[0].name",
        ),
    ],
)
async def test_contacts_import__control_character_in_a_name_or_address__refused_naming_the_entry(
    database: Database, document: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        await contacts.load(database, document)

    assert field in refused.value.errors, refused.value.errors
    async with database.transaction() as connection:
        assert await contacts_repository.get_persons(connection, [contacts.PERSON_WITH_EMAIL]) == {}
        assert await contacts_repository.get_organizations(connection, [contacts.ORGANIZATION]) == {}


@pytest.mark.slow
def test_contacts_import_command__injected_address__exits_2_naming_it(tmp_path: Path) -> None:
    file = tmp_path / "contacts.json"
    document = {"persons": [contacts.person(contacts.PERSON_WITH_EMAIL, email=QUOTED_CR)]}
    file.write_text(json.dumps(document), encoding="utf-8")

    result = run_orderdesk(tmp_path / "home", "contacts", "import", str(file))

    assert result.returncode == 2
    assert "persons[0].email" in result.stderr
    assert "nothing imported" in result.stderr


# ---- whatever is stored, nothing is injected ------------------------------------------------------

NAME_WITH_HEADER = f"Kari\r\nBcc: {EVIL}"
KARI = contacts.PERSON_RESERVED  # any number of the register: here a person who is not reserved


async def _store_past_the_import(database: Database) -> None:
    """Values the import now refuses, as a register filled by an older version (or by hand) holds them."""
    async with database.transaction() as connection:
        await contacts_repository.upsert_persons(
            connection,
            [
                Person(contacts.PERSON_WITH_EMAIL, "Ola", QUOTED_CR, None, False),
                Person(KARI, NAME_WITH_HEADER, "kari@example.com", None, False),
            ],
        )
        await contacts_repository.upsert_organizations(
            connection, [Organization(contacts.ORGANIZATION, "Example AS", [CRLF_HEADER], [])]
        )


def _smtp_settings(settings: Settings, sink: SmtpSink) -> Any:
    return settings.notifications.model_copy(
        update={
            "email_provider": "smtp",
            "smtp_host": sink.host,
            "smtp_port": sink.port,
            "smtp_timeout_seconds": 5.0,
        }
    )


_HEADERS_WE_WRITE = {
    "from",
    "to",
    "subject",
    "date",
    "message-id",
    NOTIFICATION_HEADER.lower(),
    "mime-version",
    "content-type",
    "content-transfer-encoding",
}


def _assert_no_injected_header(data: bytes) -> ParsedMessage:
    """Only the headers orderdesk writes, each once, and the message parses without a defect."""
    message = email.message_from_bytes(data, policy=email.policy.default)
    names = [name.lower() for name in message]
    assert set(names) <= _HEADERS_WE_WRITE, names
    assert len(names) == len(set(names)), names
    assert not message.defects
    assert isinstance(message, ParsedMessage)
    return message


@pytest.mark.parametrize("provider", ["outbox", "smtp"])
async def test_stored_injected_values__reach_the_outbox_or_relay__without_an_added_header(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    database: Database,
    settings: Settings,
    clock: Clock,
    sink: SmtpSink,
    tmp_path: Path,
    provider: str,
) -> None:
    await _store_past_the_import(database)
    notification_settings = settings.notifications if provider == "outbox" else _smtp_settings(settings, sink)
    home = tmp_path / "home"
    pipeline = NotificationPipeline.build(
        database, notification_settings, home, clock, Wakeups(), outbound=settings.outbound
    )
    try:
        order_id = await place(
            client,
            auth,
            "/orders",
            order(
                requestedSendTime=None,
                recipients=[
                    {"nationalIdentityNumber": contacts.PERSON_WITH_EMAIL},
                    {"nationalIdentityNumber": KARI},
                    {"organizationNumber": contacts.ORGANIZATION},
                ],
                emailTemplate=_template(subject="Hello $recipientName$"),
            ),
        )
        await pipeline.run_until_idle()
    finally:
        await pipeline.aclose()

    summary = await notifications(client, auth, order_id, "email")
    shown = {n["recipient"]["emailAddress"]: n["sendStatus"]["status"] for n in summary["notifications"]}
    assert shown[QUOTED_CR] == EmailStatus.FAILED_INVALID_EMAIL_FORMAT
    assert shown[CRLF_HEADER] == EmailStatus.FAILED_INVALID_EMAIL_FORMAT
    assert shown["kari@example.com"] == EmailStatus.DELIVERED
    assert (await status(client, auth, order_id))["processingStatus"]["status"] == "Completed"

    if provider == "outbox":
        delivered = [path.read_bytes() for path in (home / "outbox" / "email" / "new").glob("*.eml")]
    else:
        delivered = [received.data for received in sink.received]
        assert [received.rcpt_tos for received in sink.received] == [("kari@example.com",)]
    [data] = delivered
    message = _assert_no_injected_header(data)
    assert message["To"] == "kari@example.com"
    assert message["Subject"] == f"Hello Kari Bcc: {EVIL}"  # the name's text, on the subject's one line


def _message(**overrides: Any) -> OutgoingEmail:
    fields: dict[str, Any] = {
        "notification_id": uuid4(),
        "from_address": "noreply@orderdesk.test",
        "to_address": "ola@example.com",
        "subject": "Your order",
        "body": "Hello",
        "content_type": EmailContentType.PLAIN,
    }
    fields.update(overrides)
    return OutgoingEmail(**fields)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"to_address": QUOTED_CR}, EmailStatus.FAILED_INVALID_EMAIL_FORMAT),
        ({"to_address": "ola@example.com\n"}, EmailStatus.FAILED_INVALID_EMAIL_FORMAT),
        ({"from_address": f"noreply@orderdesk.test\r\nBcc: {EVIL}"}, EmailStatus.FAILED),
        ({"from_address": QUOTED_CR}, EmailStatus.FAILED),
        ({"subject": f"Hi\r\nBcc: {EVIL}"}, EmailStatus.DELIVERED),
        ({"subject": f"Hi\nBcc: {EVIL}\x0b\x1b\u2028"}, EmailStatus.DELIVERED),
    ],
)
async def test_message_fed_past_the_api__smtp_relay_and_outbox__never_an_added_header(
    sink: SmtpSink, tmp_path: Path, overrides: dict[str, Any], expected: EmailStatus
) -> None:
    message = _message(**overrides)

    def now() -> datetime:
        return datetime.now(UTC)

    smtp = SmtpProvider(host=sink.host, port=sink.port, clock=now, timeout_seconds=5.0)
    try:
        smtp_result = await smtp.send(message)
    finally:
        await smtp.aclose()
    outbox = EmailOutbox(tmp_path, now)
    outbox_result = await outbox.send(message)

    assert (smtp_result.status, outbox_result.status) == (expected, expected)
    written = [path.read_bytes() for path in (tmp_path / "outbox" / "email" / "new").glob("*.eml")]
    arrived = [received.data for received in sink.received]
    if expected is EmailStatus.DELIVERED:
        assert [received.rcpt_tos for received in sink.received] == [("ola@example.com",)]
        for data in [*written, *arrived]:
            assert _assert_no_injected_header(data)["Subject"].startswith("Hi Bcc: ")
    else:
        assert (written, arrived) == ([], [])


@pytest.mark.parametrize(
    "setting", ["default_email_from_address", "smtp_bounce_address", "default_sms_sender"]
)
def test_settings__header_value_with_a_line_break__refused_at_startup(setting: str) -> None:
    with pytest.raises(ValidationError, match=setting):
        NotificationSettings.model_validate({setting: f"noreply@orderdesk.test\r\nBcc: {EVIL}"})
