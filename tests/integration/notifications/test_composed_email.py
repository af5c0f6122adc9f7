"""Composed e-mail over HTTP: intake (rules, scope, idempotency), then the workers fetch the attachments
from a real HTTP server at the send time and send through a real SMTP relay (the sink), in a dispatch
lane of their own."""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from orderdesk.auth.tokens import COMPOSED_EMAIL_CREATE_SCOPE, NOTIFICATIONS_CREATE_SCOPE
from orderdesk.core.db import Database
from orderdesk.notifications.tables import notification_email
from orderdesk.notifications.tasks.pipeline import NotificationPipeline
from orderdesk.settings import Settings
from tests.conftest import Clock, Tokens, make_settings
from tests.integration.notifications.test_smtp_provider import smtp_pipeline
from tests.support.http_stub import Answer, HttpStub, http_stub
from tests.support.notifications_api import API, notifications
from tests.support.smtp_sink import SmtpSink

PATH = f"{API}/future/orders/composed-email"
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(reversed(range(256))) * 20


@pytest.fixture
def settings(home: Path, migrated_database: tuple[str, Database]) -> Settings:
    """The test's HTTP server (127.0.0.1, plain http, inside the allowed networks) serves attachments."""
    base = make_settings(home, migrated_database[0])
    notifications_group = base.notifications.model_copy(
        update={"attachment_hosts": "*.blob.core.windows.net,127.0.0.1"}
    )
    return base.model_copy(update={"notifications": notifications_group})


@pytest.fixture
def composed_auth(tokens: Tokens) -> dict[str, str]:
    return tokens.bearer("ttd", scopes=(COMPOSED_EMAIL_CREATE_SCOPE,))


@pytest.fixture
def files() -> Iterator[HttpStub]:
    with http_stub() as stub:
        stub.answers["/letters/invoice.pdf"] = Answer(200, PDF, "application/pdf")
        stub.answers["/letters/chart.png"] = Answer(200, PNG, "image/png")
        yield stub


@pytest.fixture
async def pipeline(
    database: Database, settings: Settings, clock: Clock, sink: SmtpSink, tmp_path: Path
) -> AsyncIterator[NotificationPipeline]:
    built = smtp_pipeline(database, settings, clock, sink, tmp_path / "home")
    yield built
    await built.aclose()


def _signed(url: str, expires: datetime | None = None) -> str:
    expiry = (expires or datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{url}?sp=r&se={expiry}&sr=b&sig=c2lnbmF0dXJl"


def attachment(url: str, filename: str = "invoice.pdf", mime_type: str = "application/pdf") -> dict[str, str]:
    return {"filename": filename, "mimeType": mime_type, "sasUrl": url}


def composed(*attachments: dict[str, str], **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "idempotencyId": "invoice-42",
        "sendersReference": "ref-42",
        "recipient": {
            "emailAddress": "ola@example.com",
            "emailSettings": {
                "subject": "Your invoice",
                "body": "Your invoice is attached.",
                "attachments": list(attachments),
            },
        },
    }
    body.update(overrides)
    return body


async def register(client: httpx.AsyncClient, auth: dict[str, str], body: dict[str, Any]) -> str:
    response = await client.post(PATH, json=body, headers=auth)
    assert response.status_code == 201, response.text
    shipment: str = response.json()["notification"]["shipmentId"]
    return shipment


async def email_status(client: httpx.AsyncClient, auth: dict[str, str], shipment: str) -> str:
    [notification] = (await notifications(client, auth, shipment, "email"))["notifications"]
    status: str = notification["sendStatus"]["status"]
    return status


async def attachment_bytes(database: Database) -> list[int | None]:
    async with database.transaction() as connection:
        result = await connection.execute(select(notification_email.c.attachment_bytes))
        return [row[0] for row in result]


def _parts(message: EmailMessage) -> list[tuple[str | None, str, bytes]]:
    return [
        (part.get_filename(), part.get_content_type(), part.get_payload(decode=True))  # type: ignore[misc]
        for part in message.iter_attachments()
    ]


async def test_composed_email__two_attachments__arrive_intact_at_the_relay(
    client: httpx.AsyncClient,
    composed_auth: dict[str, str],
    auth: dict[str, str],
    pipeline: NotificationPipeline,
    sink: SmtpSink,
    files: HttpStub,
    database: Database,
) -> None:
    body = composed(
        attachment(_signed(files.base_url + "/letters/invoice.pdf")),
        attachment(files.base_url + "/letters/chart.png", "Årsrapport graf.png", "image/png"),
    )
    response = await client.post(PATH, json=body, headers=composed_auth)
    assert response.status_code == 201, response.text
    receipt = response.json()
    shipment = receipt["notification"]["shipmentId"]
    assert receipt["notification"]["sendersReference"] == "ref-42"
    assert "reminders" not in receipt["notification"]
    assert response.headers["Location"] == f"http://testserver{API}/future/shipment/{shipment}"

    await pipeline.run_until_idle()

    received = sink.to("ola@example.com")
    message = email.message_from_bytes(received.data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    assert message["Subject"] == "Your invoice"
    text = message.get_body(("plain",))
    assert text is not None
    assert str(text.get_content()).strip() == "Your invoice is attached."
    assert _parts(message) == [
        ("invoice.pdf", "application/pdf", PDF),
        ("Årsrapport graf.png", "image/png", PNG),
    ]
    assert await email_status(client, auth, shipment) in ("Succeeded", "Delivered")
    assert await attachment_bytes(database) == [len(PDF) + len(PNG)]


async def test_composed_email__attachment_not_found__failed_invalid_sas_url_at_once(
    client: httpx.AsyncClient,
    composed_auth: dict[str, str],
    auth: dict[str, str],
    pipeline: NotificationPipeline,
    sink: SmtpSink,
    files: HttpStub,
) -> None:
    shipment = await register(
        client,
        composed_auth,
        composed(
            attachment(files.base_url + "/letters/invoice.pdf"),
            attachment(files.base_url + "/letters/gone.pdf", "gone.pdf"),
        ),
    )
    await pipeline.run_until_idle()

    assert await email_status(client, auth, shipment) == "Failed_InvalidSasUrl"
    assert files.requests.count("/letters/gone.pdf") == 1  # final: not fetched again
    assert sink.received == []


async def test_composed_email__attachment_larger_than_the_cap__failed_payload_too_large(
    database: Database,
    settings: Settings,
    clock: Clock,
    sink: SmtpSink,
    tmp_path: Path,
    client: httpx.AsyncClient,
    composed_auth: dict[str, str],
    auth: dict[str, str],
    files: HttpStub,
) -> None:
    pipeline = smtp_pipeline(
        database, settings, clock, sink, tmp_path / "home", attachment_max_bytes=len(PNG)
    )
    try:
        shipment = await register(
            client, composed_auth, composed(attachment(files.base_url + "/letters/invoice.pdf"))
        )
        await pipeline.run_until_idle()
    finally:
        await pipeline.aclose()

    assert len(PDF) > len(PNG)
    assert await email_status(client, auth, shipment) == "Failed_PayloadTooLarge"
    assert sink.received == []


async def test_composed_email__relay_refuses_it_as_too_large__failed_payload_too_large(
    client: httpx.AsyncClient,
    composed_auth: dict[str, str],
    auth: dict[str, str],
    pipeline: NotificationPipeline,
    sink: SmtpSink,
    files: HttpStub,
    database: Database,
) -> None:
    sink.data_size_limit = len(PDF)  # the message, with its headers and base64, is larger
    shipment = await register(
        client, composed_auth, composed(attachment(files.base_url + "/letters/invoice.pdf"))
    )
    await pipeline.run_until_idle()

    assert await email_status(client, auth, shipment) == "Failed_PayloadTooLarge"
    assert sink.received == []
    assert await attachment_bytes(database) == [len(PDF)]


async def test_composed_email__attachment_answers_5xx__retried_then_failed_invalid_sas_url(
    client: httpx.AsyncClient,
    composed_auth: dict[str, str],
    auth: dict[str, str],
    pipeline: NotificationPipeline,
    clock: Clock,
    files: HttpStub,
) -> None:
    files.answers["/letters/flaky.pdf"] = Answer(503, b"busy", "text/plain")
    shipment = await register(
        client, composed_auth, composed(attachment(files.base_url + "/letters/flaky.pdf", "flaky.pdf"))
    )
    await pipeline.run_until_idle()
    assert await email_status(client, auth, shipment) == "New"  # to be tried again

    for _ in range(5):
        clock.advance(timedelta(hours=1))
        await pipeline.run_until_idle()

    assert await email_status(client, auth, shipment) == "Failed_InvalidSasUrl"
    assert files.requests.count("/letters/flaky.pdf") == pipeline.settings.attachment_max_attempts


async def test_composed_email__signature_expired_at_send_time__failed_invalid_sas_url(
    client: httpx.AsyncClient,
    composed_auth: dict[str, str],
    auth: dict[str, str],
    pipeline: NotificationPipeline,
    clock: Clock,
    files: HttpStub,
) -> None:
    url = _signed(files.base_url + "/letters/invoice.pdf", datetime.now(UTC) + timedelta(hours=1))
    shipment = await register(client, composed_auth, composed(attachment(url)))
    clock.advance(timedelta(hours=2))  # the workers come late: the signature has run out
    await pipeline.run_until_idle()

    assert await email_status(client, auth, shipment) == "Failed_InvalidSasUrl"
    assert files.requests == []


@contextlib.asynccontextmanager
async def hanging_server() -> AsyncIterator[str]:
    """Accepts connections and never answers: the attachment download that hangs."""
    held: list[asyncio.StreamWriter] = []

    async def hold(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()


async def test_hanging_attachment__holds_back_no_plain_email(
    database: Database,
    settings: Settings,
    clock: Clock,
    sink: SmtpSink,
    tmp_path: Path,
    client: httpx.AsyncClient,
    composed_auth: dict[str, str],
    auth: dict[str, str],
) -> None:
    pipeline = smtp_pipeline(
        database, settings, clock, sink, tmp_path / "home", attachment_timeout_seconds=20.0
    )
    async with hanging_server() as slow:
        try:
            shipment = await register(
                client, composed_auth, composed(attachment(slow + "/letters/slow.pdf", "slow.pdf"))
            )
            await pipeline.schedule()
            await pipeline.settle()
            composed_lane = asyncio.create_task(pipeline.composed.step())
            await asyncio.sleep(0.5)  # the download has started, and hangs
            assert not composed_lane.done()

            plain = await client.post(
                f"{API}/orders/email",
                json={
                    "recipients": [{"emailAddress": "kari@example.com"}],
                    "subject": "Plain",
                    "body": "No attachments.",
                },
                headers=auth,
            )
            assert plain.status_code == 202, plain.text
            await pipeline.schedule()
            await pipeline.settle()
            await pipeline.email.step()

            await sink.wait_until(received=1)
            assert sink.to("kari@example.com").text == "No attachments."
            assert not composed_lane.done()  # still waiting on its attachment
            assert await email_status(client, auth, shipment) == "Sending"
        finally:
            composed_lane.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await composed_lane
            await pipeline.aclose()


async def test_idempotent_replay__200_with_the_first_receipt__nothing_new(
    client: httpx.AsyncClient, composed_auth: dict[str, str], database: Database
) -> None:
    url = "https://account.blob.core.windows.net/c/a.pdf"
    first = await client.post(PATH, json=composed(attachment(_signed(url))), headers=composed_auth)
    assert first.status_code == 201, first.text
    again = composed(attachment(_signed(url)), sendersReference="something else")
    second = await client.post(PATH, json=again, headers=composed_auth)

    assert second.status_code == 200, second.text
    assert second.json() == first.json()
    assert "Location" not in second.headers
    other = await client.post(
        PATH, json=composed(attachment(_signed(url)), idempotencyId="invoice-43"), headers=composed_auth
    )
    assert other.status_code == 201
    assert other.json()["notificationOrderId"] != first.json()["notificationOrderId"]


async def test_create_scope_alone__403__composed_scope_needed(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    body = composed(attachment(_signed("https://account.blob.core.windows.net/c/a.pdf")))
    forbidden = await client.post(
        PATH, json=body, headers=tokens.bearer("ttd", (NOTIFICATIONS_CREATE_SCOPE,))
    )
    assert forbidden.status_code == 403
    assert COMPOSED_EMAIL_CREATE_SCOPE in forbidden.json()["detail"]
    platform = await client.post(PATH, json=body, headers=tokens.platform("ttd"))
    assert platform.status_code == 401
    assert (await client.post(PATH, json=body)).status_code == 401


@pytest.mark.parametrize(
    ("item", "field"),
    [
        pytest.param(
            attachment(
                _signed("https://account.blob.core.windows.net/c/a.exe"), "a.exe", "application/x-msdownload"
            ),
            "mimeType",
            id="type-not-taken",
        ),
        pytest.param(
            attachment(_signed("https://files.example.com/c/a.pdf")), "sasUrl", id="host-not-allowed"
        ),
        pytest.param(
            attachment(_signed("http://account.blob.core.windows.net/c/a.pdf")), "sasUrl", id="plain-http"
        ),
        pytest.param(
            attachment("https://account.blob.core.windows.net/c/a.pdf?sp=r&sr=b&sig=x"),
            "sasUrl",
            id="no-expiry",
        ),
        pytest.param(
            attachment(_signed("https://account.blob.core.windows.net/c/a.pdf").replace("sp=r", "sp=w")),
            "sasUrl",
            id="no-read-permission",
        ),
        pytest.param(
            attachment(
                _signed(
                    "https://account.blob.core.windows.net/c/a.pdf", datetime.now(UTC) + timedelta(minutes=10)
                )
            ),
            "sasUrl",
            id="expires-too-soon",
        ),
        pytest.param(
            attachment(_signed("https://account.blob.core.windows.net/c/a.pdf"), "noextension"),
            "filename",
            id="no-extension",
        ),
        pytest.param(
            attachment(_signed("https://account.blob.core.windows.net/c/a.pdf"), "dir/a.pdf"),
            "filename",
            id="slash-in-name",
        ),
        pytest.param(
            attachment(_signed("https://account.blob.core.windows.net/c/a.pdf"), "dir\\a.pdf"),
            "filename",
            id="backslash-in-name",
        ),
        pytest.param(
            attachment(_signed("http://127.0.0.2/c/a.pdf")), "sasUrl", id="http-outside-allowed-hosts"
        ),
    ],
)
async def test_attachment_refused_at_intake__400_naming_the_field(
    client: httpx.AsyncClient, composed_auth: dict[str, str], item: dict[str, str], field: str
) -> None:
    response = await client.post(PATH, json=composed(item), headers=composed_auth)

    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    errors = response.json()["errors"]
    assert list(errors) == [f"recipient.emailSettings.attachments[0].{field}"], errors


async def test_plain_http_by_name__refused_even_for_an_allowed_host(
    client: httpx.AsyncClient, composed_auth: dict[str, str], settings: Settings
) -> None:
    """Plain http only to a literal address in the allowed networks: a name may resolve anywhere."""
    response = await client.post(
        PATH, json=composed(attachment("http://localhost/c/a.pdf")), headers=composed_auth
    )
    assert response.status_code == 400
    assert "recipient.emailSettings.attachments[0].sasUrl" in response.json()["errors"]
