"""Each door of the API takes its own kind of token and no other (issue 13, finding 1).

Every kind of token orderdesk signs, and some forged ones, is sent to one endpoint of every door, as a
bearer token and in the `PlatformAccessToken` header; only the kind made for a door opens it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from orderdesk.auth.keys import load_or_create_signing_key
from orderdesk.auth.tokens import (
    DEFAULT_AUDIENCES,
    KIND_CLAIM,
    NOTIFICATIONS_CREATE_SCOPE,
    ORG_CLAIM,
    TokenKind,
)
from orderdesk.core.db import Database
from orderdesk.purchases.service.clients import register_client
from tests.conftest import Tokens
from tests.factories.notifications import email_order
from tests.support.processes import run_orderdesk

NOTIFICATIONS = "/notifications/api/v1"
VICTIM = "orderdesk"
"""The creator a foreign token was taken for (the local issuer): its order is the one attacked."""


def _sign(key: PrivateKeyTypes, claims: dict[str, Any]) -> str:
    now = int(datetime.now(UTC).timestamp())
    payload = {"iat": now, "nbf": now, "exp": now + 3600, **claims}
    return jwt.encode(payload, key, algorithm="ES256")  # type: ignore[arg-type]


def _service_owner_claims(**overrides: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "iss": "orderdesk",
        "sub": "ttd",
        ORG_CLAIM: "ttd",
        "scope": NOTIFICATIONS_CREATE_SCOPE,
        KIND_CLAIM: TokenKind.SERVICE_OWNER.value,
        "aud": DEFAULT_AUDIENCES[TokenKind.SERVICE_OWNER],
    }
    claims.update(overrides)
    return claims


async def _client_token(client: httpx.AsyncClient, database: Database) -> str:
    """An access token as `POST /oauth/token` issues it to a registered client."""
    async with database.transaction() as connection:
        registered = await register_client(connection, "shop", datetime.now(UTC))
    response = await client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(registered.client_id, registered.client_secret),
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def _raw(headers: dict[str, str]) -> str:
    """The token in headers the `Tokens` helpers build."""
    value = next(iter(headers.values()))
    return value.removeprefix("Bearer ")


def _home_key(home: Path) -> PrivateKeyTypes:
    return load_or_create_signing_key(home / "signing-key.pem")


TOKEN_KINDS: dict[str, Callable[[Tokens, Path], str]] = {
    "service_owner": lambda tokens, _home: _raw(tokens.bearer("ttd")),
    "service_owner_without_scope": lambda tokens, _home: _raw(tokens.bearer("ttd", scopes=("other",))),
    "platform": lambda tokens, _home: _raw(tokens.platform("ttd")),
    "delivery_report": lambda tokens, _home: _raw(tokens.reporter("mailprovider")),
    "data_user": lambda tokens, _home: _raw(tokens.user("ola@example.com")),
    "purchase_user": lambda tokens, _home: _raw(tokens.customer("ola@example.com")),
    "other_audience": lambda _tokens, home: _sign(
        _home_key(home), _service_owner_claims(aud="somebody-else")
    ),
    "no_audience_no_kind": lambda _tokens, home: _sign(
        _home_key(home), {k: v for k, v in _service_owner_claims().items() if k not in ("aud", KIND_CLAIM)}
    ),
    "string_exp": lambda _tokens, home: _sign(_home_key(home), _service_owner_claims(exp="99999999999")),
    "untrusted_key": lambda _tokens, _home: _sign(
        ec.generate_private_key(ec.SECP256R1()), _service_owner_claims()
    ),
}
"""Every token but the purchase client's, which `/oauth/token` issues during the test."""
ALL_KINDS = [*TOKEN_KINDS, "purchase_client"]
POSITIONS = ["bearer", "platform_header"]


@dataclass(frozen=True)
class Door:
    name: str
    method: str
    path: str
    body: Any = None


def _doors(victim_order: str) -> list[Door]:
    return [
        Door("notifications_create", "POST", f"{NOTIFICATIONS}/orders/email", email_order()),
        Door("notifications_read_other", "GET", f"{NOTIFICATIONS}/orders/{victim_order}"),
        Door("notifications_cancel_other", "PUT", f"{NOTIFICATIONS}/orders/{victim_order}/cancel"),
        Door(
            "delivery_reports",
            "POST",
            f"{NOTIFICATIONS}/reports/email",
            {"notificationId": str(uuid.uuid4()), "status": "Delivered"},
        ),
        Door("data_orders", "GET", "/api/v1/rs-order/order/basket"),
        Door("capi_client", "GET", "/capi/v1/client/order/status/1"),
        Door("capi_user", "GET", "/capi/v1/order/status"),
    ]


OPENS: dict[tuple[str, str], dict[str, int]] = {
    ("service_owner", "bearer"): {
        "notifications_create": 202,
        "notifications_read_other": 404,
        "notifications_cancel_other": 404,
    },
    ("service_owner_without_scope", "bearer"): {
        "notifications_create": 403,
        "notifications_read_other": 403,
        "notifications_cancel_other": 403,
    },
    ("platform", "platform_header"): {
        "notifications_create": 202,
        "notifications_read_other": 404,
        "notifications_cancel_other": 404,
    },
    ("delivery_report", "bearer"): {"delivery_reports": 200},
    ("data_user", "bearer"): {"data_orders": 200},
    ("purchase_client", "bearer"): {"capi_client": 404},
    ("purchase_user", "bearer"): {"capi_user": 200},
}
"""What each token opens in each position (a 404: the door opened, the other creator's order is not
theirs; a 403: the right kind of token without the scope). Everything else is a 401."""


@pytest.mark.parametrize("position", POSITIONS)
@pytest.mark.parametrize("kind", ALL_KINDS)
async def test_token__at_every_door__opens_only_its_own(
    client: httpx.AsyncClient,
    database: Database,
    tokens: Tokens,
    home: Path,
    kind: str,
    position: str,
) -> None:
    placed = await client.post(
        f"{NOTIFICATIONS}/orders/email", json=email_order(), headers=tokens.bearer(VICTIM)
    )
    assert placed.status_code == 202, placed.text
    victim_order = placed.json()["orderId"]
    token = (
        await _client_token(client, database)
        if kind == "purchase_client"
        else TOKEN_KINDS[kind](tokens, home)
    )
    headers = {"Authorization": f"Bearer {token}"} if position == "bearer" else {"PlatformAccessToken": token}
    doors = _doors(victim_order)

    answered = {}
    for door in doors:
        response = await client.request(door.method, door.path, json=door.body, headers=headers)
        answered[door.name] = response.status_code
        assert response.status_code < 500, response.text

    expected = {door.name: 401 for door in doors} | OPENS.get((kind, position), {})
    wrong = {
        name: f"{answered[name]}, not {status}"
        for name, status in expected.items()
        if answered[name] != status
    }
    assert not wrong
    victim = await client.get(f"{NOTIFICATIONS}/orders/{victim_order}/status", headers=tokens.bearer(VICTIM))
    assert victim.json()["processingStatus"]["status"] != "Cancelled"


async def test_refused_token__answer__names_the_problem(
    client: httpx.AsyncClient, tokens: Tokens, home: Path
) -> None:
    wrong_kind = await client.post(
        f"{NOTIFICATIONS}/orders/email",
        json=email_order(),
        headers={"PlatformAccessToken": _raw(tokens.user())},
    )
    other_audience = await client.get(
        f"{NOTIFICATIONS}/orders",
        params={"sendersReference": "ref-1"},
        headers={"Authorization": "Bearer " + TOKEN_KINDS["other_audience"](tokens, home)},
    )
    string_exp = await client.get(
        f"{NOTIFICATIONS}/orders",
        params={"sendersReference": "ref-1"},
        headers={"Authorization": "Bearer " + TOKEN_KINDS["string_exp"](tokens, home)},
    )

    assert wrong_kind.status_code == 401
    assert "platform" in wrong_kind.json()["detail"].lower()
    assert other_audience.status_code == 401
    assert "audience" in other_audience.json()["detail"]
    assert string_exp.status_code == 401
    assert "'exp'" in string_exp.json()["detail"]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "door", "status"),
    [
        (["--org", "ttd"], "notifications_create", 202),
        (["--platform", "--org", "ttd"], "notifications_create", 202),
        (
            ["--org", "mailprovider", "--scope", "orderdesk:notifications/deliveryreports.write"],
            "delivery_reports",
            200,
        ),
        (["--user", "ola@example.com"], "data_orders", 200),
        (["--user", "ola@example.com", "--api", "purchases"], "capi_user", 200),
    ],
    ids=["service-owner", "platform", "delivery-report", "data-user", "purchase-user"],
)
async def test_cli_token__readme_example__opens_its_door(
    client: httpx.AsyncClient, home: Path, args: list[str], door: str, status: int
) -> None:
    printed = run_orderdesk(home, "token", *args)
    assert printed.returncode == 0, printed.stderr
    token = printed.stdout.strip()
    headers = {"PlatformAccessToken": token} if "--platform" in args else {"Authorization": f"Bearer {token}"}
    target = next(candidate for candidate in _doors(str(uuid.uuid4())) if candidate.name == door)

    response = await client.request(target.method, target.path, json=target.body, headers=headers)

    assert response.status_code == status, response.text
