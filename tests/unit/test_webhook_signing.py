"""Signatures a receiver verifies with the `standardwebhooks` package (the specification's own
library): one secret, two while a secret is rotated, and refusals for a changed body, another
secret, another message id."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from orderdesk.core.webhook_signing import new_secret, secret_key, signed_headers

BODY = b'{"type":"notification.status_changed","data":{"status":"Delivered","to":"ola@example.com"}}'


def now() -> datetime:
    return datetime.now(UTC)


def test_new_secret__whsec_and_32_random_bytes() -> None:
    first, second = new_secret(), new_secret()
    assert first.startswith("whsec_")
    assert first != second
    assert len(secret_key(first)) == 32


def test_signed_headers__verified_by_the_standard_webhooks_library() -> None:
    secret = new_secret()
    headers = signed_headers("msg_2026_1", now(), BODY, [secret])
    assert Webhook(secret).verify(BODY, headers) == {
        "type": "notification.status_changed",
        "data": {"status": "Delivered", "to": "ola@example.com"},
    }
    assert headers["webhook-id"] == "msg_2026_1"


def test_signed_headers__while_rotating__receivers_holding_either_secret_verify() -> None:
    old, new = new_secret(), new_secret()
    headers = signed_headers("msg_2026_2", now(), BODY, [old, new])
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        Webhook(secret).verify(BODY, headers, json_parse=False)


@pytest.mark.parametrize("tamper", ["body", "secret", "id"])
def test_signed_headers__anything_changed__refused(tamper: str) -> None:
    secret = new_secret()
    headers = signed_headers("msg_2026_3", now(), BODY, [secret])
    body = BODY + b" " if tamper == "body" else BODY
    if tamper == "id":
        headers = {**headers, "webhook-id": "msg_2026_4"}
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret() if tamper == "secret" else secret).verify(body, headers)


@pytest.mark.parametrize("secret", ["", "secret", "whsec_not base64!", "sk_" + "A" * 44])
def test_secret_key__not_a_whsec_secret__value_error(secret: str) -> None:
    with pytest.raises(ValueError, match="signing secret"):
        secret_key(secret)


def test_signed_headers__no_secret__value_error() -> None:
    with pytest.raises(ValueError, match="at least one"):
        signed_headers("msg", now(), BODY, [])
