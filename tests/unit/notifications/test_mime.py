"""The fast message writer produces what a mail reader decodes to the notification's own texts."""

from __future__ import annotations

import email
import uuid
from datetime import UTC, datetime
from email.message import Message
from email.policy import default

import pytest

from orderdesk.notifications.models import NOTIFICATION_HEADER, EmailContentType
from orderdesk.notifications.providers.base import OutgoingEmail
from orderdesk.notifications.providers.mime import UnsafeHeader, render

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def parsed(message: OutgoingEmail) -> Message:
    return email.message_from_bytes(render(message, now=NOW, domain="orderdesk.test"), policy=default)


def message(**overrides: object) -> OutgoingEmail:
    fields: dict[str, object] = {
        "notification_id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "from_address": "sender@example.com",
        "to_address": "ola@example.com",
        "subject": "Your order",
        "body": "Hello\nfrom orderdesk",
        "content_type": EmailContentType.PLAIN,
    }
    fields.update(overrides)
    return OutgoingEmail(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        ("Your order", "Hello\nfrom orderdesk"),
        ("Blåbærsyltetøy på tilbud", "Hei Åse,\r\nvelkommen, 😀"),
        ("A" * 300, "x" * 2000),
        ("Line\nbreak", "Trailing newline\n"),
    ],
)
def test_render__headers_and_body_decode_to_the_notification_texts(subject: str, body: str) -> None:
    mail = parsed(message(subject=subject, body=body))

    assert mail["Subject"] == " ".join(subject.splitlines())
    assert mail["From"] == "sender@example.com"
    assert mail["To"] == "ola@example.com"
    assert mail["Message-ID"] == "<12345678-1234-5678-1234-567812345678@orderdesk.test>"
    assert mail[NOTIFICATION_HEADER] == "12345678-1234-5678-1234-567812345678"
    content = mail.get_content()  # type: ignore[attr-defined]
    assert content.replace("\r\n", "\n").rstrip("\n") == body.replace("\r\n", "\n").rstrip("\n")
    assert not mail.defects


def test_render__html__text_html_part() -> None:
    mail = parsed(message(body="<p>Hei</p>", content_type=EmailContentType.HTML))
    assert mail.get_content_type() == "text/html"


def test_render__every_line_within_the_smtp_limit() -> None:
    data = render(message(subject="ø" * 500, body="æ" * 5000), now=NOW, domain="orderdesk.test")
    assert max(len(line) for line in data.split(b"\r\n")) <= 998


@pytest.mark.parametrize("to_address", ["ola@example.com", "åse@example.com"])
def test_render__subject_with_line_breaks_and_controls__one_line_and_no_added_header(to_address: str) -> None:
    mail = parsed(message(to_address=to_address, subject="Hi\r\nBcc: evil@attacker.example\x0b\x1b\u2028x"))

    assert mail["Bcc"] is None
    assert mail["Subject"] == "Hi Bcc: evil@attacker.example   x"
    assert not mail.defects


@pytest.mark.parametrize(
    ("overrides", "header"),
    [
        ({"to_address": '"a\\\rBcc: evil@attacker.example"@example.com'}, "To"),
        ({"to_address": "åse@example.com\nBcc: evil@attacker.example"}, "To"),
        ({"from_address": "sender@example.com\r\nBcc: evil@attacker.example"}, "From"),
    ],
)
def test_render__address_with_a_control_character__unsafe_header_naming_it(
    overrides: dict[str, str], header: str
) -> None:
    with pytest.raises(UnsafeHeader) as refused:
        render(message(**overrides), now=NOW, domain="orderdesk.test")
    assert refused.value.header == header


def test_render__domain_with_a_control_character__unsafe_header() -> None:
    with pytest.raises(UnsafeHeader):
        render(message(), now=NOW, domain="orderdesk.test\r\nBcc: evil@attacker.example")
