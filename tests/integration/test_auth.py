"""Who may call the notification API: bearer tokens with the scope and an organisation, or a Platform
Access Token; everything else is refused before anything is stored."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from sqlalchemy import func, select

from orderdesk.app import create_app
from orderdesk.auth.keys import load_or_create_signing_key
from orderdesk.auth.tokens import (
    APP_CLAIM,
    DEFAULT_AUDIENCES,
    NOTIFICATIONS_CREATE_SCOPE,
    ORG_CLAIM,
    TokenKind,
    mint_service_owner_token,
)
from orderdesk.auth.verifier import MAX_ORG_LENGTH
from orderdesk.core.db import Database
from orderdesk.notifications.tables import notification_order
from orderdesk.settings import AuthSettings, Settings
from tests.conftest import Clock, Tokens
from tests.factories.notifications import email_order
from tests.support.wire import assert_problem

API = "/notifications/api/v1"
UNAUTHORIZED_TYPE = "https://tools.ietf.org/html/rfc9110#section-15.5.2"
FORBIDDEN_TYPE = "https://tools.ietf.org/html/rfc9110#section-15.5.4"


def home_key(home: Path) -> PrivateKeyTypes:
    return load_or_create_signing_key(home / "signing-key.pem")


def sign(
    key: PrivateKeyTypes,
    claims: dict[str, Any],
    *,
    algorithm: str = "ES256",
    issued: datetime | None = None,
    ttl: timedelta = timedelta(hours=1),
) -> str:
    issued_at = issued or datetime.now(UTC)
    payload = {"iat": issued_at, "nbf": issued_at, "exp": issued_at + ttl, **claims}
    return jwt.encode(payload, key, algorithm=algorithm)  # type: ignore[arg-type]


def service_owner_claims(
    org: str = "ttd", issuer: str = "orderdesk", audience: str = DEFAULT_AUDIENCES[TokenKind.SERVICE_OWNER]
) -> dict[str, Any]:
    return {"iss": issuer, "sub": org, ORG_CLAIM: org, "scope": NOTIFICATIONS_CREATE_SCOPE, "aud": audience}


def platform_claims(issuer: str) -> dict[str, Any]:
    """What an Altinn Platform Access Token carries: its issuer (the organisation) and the app."""
    return {"iss": issuer, APP_CLAIM: f"{issuer}/an-app"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def stored_orders(database: Database) -> int:
    async with database.transaction() as connection:
        count = (await connection.execute(select(func.count()).select_from(notification_order))).scalar_one()
    return int(count)


async def assert_refused(
    client: httpx.AsyncClient, database: Database, headers: dict[str, str], status: int, type_: str
) -> None:
    """The POST and each read are refused alike, and the POST left nothing behind."""
    posted = await client.post(f"{API}/orders/email", json=email_order(), headers=headers)
    assert_problem(posted, status, type_)
    read = await client.get(f"{API}/orders", params={"sendersReference": "ref-1"}, headers=headers)
    assert_problem(read, status, type_)
    assert await stored_orders(database) == 0


# ---- 401 ------------------------------------------------------------------------------------------


async def test_post_order__no_authorization_headers__unauthorized(
    client: httpx.AsyncClient, database: Database
) -> None:
    await assert_refused(client, database, {}, 401, UNAUTHORIZED_TYPE)


async def test_post_order__no_authorization_headers__www_authenticate_bearer(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(f"{API}/orders/email", json=email_order())

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer not-a-jwt"},
        {"Authorization": "Bearer a.b.c"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"PlatformAccessToken": "garbage"},
    ],
    ids=["garbage-bearer", "three-garbage-parts", "basic-auth", "garbage-platform-token"],
)
async def test_post_order__garbage_token__unauthorized(
    client: httpx.AsyncClient, database: Database, headers: dict[str, str]
) -> None:
    await assert_refused(client, database, headers, 401, UNAUTHORIZED_TYPE)


async def test_post_order__expired_bearer_token__unauthorized(
    client: httpx.AsyncClient, database: Database, home: Path
) -> None:
    token = sign(
        home_key(home),
        service_owner_claims(),
        issued=datetime.now(UTC) - timedelta(hours=2),
        ttl=timedelta(hours=1),
    )

    await assert_refused(client, database, bearer(token), 401, UNAUTHORIZED_TYPE)


async def test_post_order__expired_platform_access_token__unauthorized(
    client: httpx.AsyncClient, database: Database, home: Path
) -> None:
    token = sign(
        home_key(home),
        platform_claims("ttd"),
        issued=datetime.now(UTC) - timedelta(hours=2),
        ttl=timedelta(hours=1),
    )

    await assert_refused(client, database, {"PlatformAccessToken": token}, 401, UNAUTHORIZED_TYPE)


async def test_post_order__bearer_token_not_yet_valid__unauthorized(
    client: httpx.AsyncClient, database: Database, home: Path
) -> None:
    token = sign(home_key(home), service_owner_claims(), issued=datetime.now(UTC) + timedelta(hours=1))

    await assert_refused(client, database, bearer(token), 401, UNAUTHORIZED_TYPE)


async def test_post_order__bearer_token_without_expiry__unauthorized(
    client: httpx.AsyncClient, database: Database, home: Path
) -> None:
    token = jwt.encode(service_owner_claims(), home_key(home), algorithm="ES256")  # type: ignore[arg-type]

    await assert_refused(client, database, bearer(token), 401, UNAUTHORIZED_TYPE)


async def test_post_order__bearer_token_signed_by_unknown_key__unauthorized(
    client: httpx.AsyncClient, database: Database
) -> None:
    stranger = ec.generate_private_key(ec.SECP256R1())
    token = mint_service_owner_token(stranger, issuer="orderdesk", org="ttd")

    await assert_refused(client, database, bearer(token), 401, UNAUTHORIZED_TYPE)


async def test_post_order__platform_access_token_signed_by_unknown_key__unauthorized(
    client: httpx.AsyncClient, database: Database
) -> None:
    token = sign(ec.generate_private_key(ec.SECP256R1()), platform_claims("ttd"))

    await assert_refused(client, database, {"PlatformAccessToken": token}, 401, UNAUTHORIZED_TYPE)


async def test_post_order__unsigned_token__unauthorized(
    client: httpx.AsyncClient, database: Database
) -> None:
    token = sign(None, service_owner_claims(), algorithm="none")  # type: ignore[arg-type]

    await assert_refused(client, database, bearer(token), 401, UNAUTHORIZED_TYPE)


async def test_post_order__bearer_token_from_untrusted_issuer__unauthorized(
    client: httpx.AsyncClient, database: Database, home: Path
) -> None:
    token = sign(home_key(home), service_owner_claims(issuer="https://evil.example.com"))

    await assert_refused(client, database, bearer(token), 401, UNAUTHORIZED_TYPE)


async def test_post_order__bearer_token_without_issuer__unauthorized(
    client: httpx.AsyncClient, database: Database, home: Path
) -> None:
    claims = service_owner_claims()
    del claims["iss"]

    await assert_refused(client, database, bearer(sign(home_key(home), claims)), 401, UNAUTHORIZED_TYPE)


# ---- 403 ------------------------------------------------------------------------------------------


async def test_post_order__valid_token_without_the_scope__forbidden(
    client: httpx.AsyncClient, database: Database, tokens: Tokens
) -> None:
    headers = tokens.bearer("ttd", scopes=("altinn:serviceowner/instances.read",))

    await assert_refused(client, database, headers, 403, FORBIDDEN_TYPE)


async def test_post_order__valid_token_with_the_scope_but_no_org__forbidden(
    client: httpx.AsyncClient, database: Database, home: Path
) -> None:
    claims = service_owner_claims()
    del claims[ORG_CLAIM]

    await assert_refused(client, database, bearer(sign(home_key(home), claims)), 403, FORBIDDEN_TYPE)


async def test_post_order__valid_token_with_empty_org__forbidden(
    client: httpx.AsyncClient, database: Database, home: Path
) -> None:
    claims = {**service_owner_claims(), ORG_CLAIM: ""}

    await assert_refused(client, database, bearer(sign(home_key(home), claims)), 403, FORBIDDEN_TYPE)


async def test_post_order__org_claim_longer_than_a_creator_can_be__forbidden(
    client: httpx.AsyncClient, database: Database, home: Path
) -> None:
    claims = {**service_owner_claims(), ORG_CLAIM: "o" * (MAX_ORG_LENGTH + 1)}

    await assert_refused(client, database, bearer(sign(home_key(home), claims)), 403, FORBIDDEN_TYPE)


async def test_post_order__blank_org_claim__forbidden(
    client: httpx.AsyncClient, database: Database, home: Path
) -> None:
    claims = {**service_owner_claims(), ORG_CLAIM: "   "}

    await assert_refused(client, database, bearer(sign(home_key(home), claims)), 403, FORBIDDEN_TYPE)


async def test_post_order__platform_access_token_issuer_longer_than_a_creator_can_be__forbidden(
    client: httpx.AsyncClient, database: Database, home: Path
) -> None:
    headers = {"PlatformAccessToken": sign(home_key(home), platform_claims("p" * (MAX_ORG_LENGTH + 1)))}

    await assert_refused(client, database, headers, 403, FORBIDDEN_TYPE)


@pytest.mark.parametrize("scope", [42, {"altinn:serviceowner/notifications.create": True}, None])
async def test_post_order__scope_claim_neither_string_nor_list__forbidden(
    client: httpx.AsyncClient, database: Database, home: Path, scope: Any
) -> None:
    claims = {**service_owner_claims(), "scope": scope}

    await assert_refused(client, database, bearer(sign(home_key(home), claims)), 403, FORBIDDEN_TYPE)


# ---- accepted callers -----------------------------------------------------------------------------


async def test_post_order__platform_access_token_alone__accepted_with_its_issuer_as_creator(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    headers = tokens.platform("skd")

    posted = await client.post(f"{API}/orders/email", json=email_order(), headers=headers)

    assert posted.status_code == 202, posted.text
    order_id = posted.json()["orderId"]
    got = await client.get(f"{API}/orders/{order_id}", headers=headers)
    assert got.status_code == 200
    assert got.json()["creator"] == "skd"
    by_bearer = await client.get(f"{API}/orders/{order_id}", headers=tokens.bearer("skd"))
    assert by_bearer.status_code == 200


async def test_post_order__scope_claim_as_a_list__accepted(client: httpx.AsyncClient, home: Path) -> None:
    claims = {**service_owner_claims(), "scope": ["openid", NOTIFICATIONS_CREATE_SCOPE]}

    posted = await client.post(
        f"{API}/orders/email", json=email_order(), headers=bearer(sign(home_key(home), claims))
    )

    assert posted.status_code == 202, posted.text


async def test_post_order__org_name_of_the_longest_length__accepted_and_read_back(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    headers = tokens.bearer("o" * MAX_ORG_LENGTH)

    posted = await client.post(f"{API}/orders/email", json=email_order(), headers=headers)

    assert posted.status_code == 202, posted.text
    got = await client.get(f"{API}/orders/{posted.json()['orderId']}", headers=headers)
    assert got.json()["creator"] == "o" * MAX_ORG_LENGTH


async def test_post_order__both_tokens__platform_access_token_names_the_creator(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    headers = {**tokens.bearer("ttd"), **tokens.platform("skd")}

    posted = await client.post(f"{API}/orders/email", json=email_order(), headers=headers)

    assert posted.status_code == 202
    got = await client.get(f"{API}/orders/{posted.json()['orderId']}", headers=tokens.platform("skd"))
    assert got.json()["creator"] == "skd"


async def test_get_order__placed_by_another_org__not_found(client: httpx.AsyncClient, tokens: Tokens) -> None:
    posted = await client.post(f"{API}/orders/email", json=email_order(), headers=tokens.bearer("ttd"))
    order_id = posted.json()["orderId"]

    response = await client.get(f"{API}/orders/{order_id}", headers=tokens.platform("digdir"))

    assert response.status_code == 404
    assert response.content == b""


# ---- an external issuer configured in the settings ------------------------------------------------


def rsa_key_pem() -> tuple[rsa.RSAPrivateKey, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return key, pem.decode()


@pytest.fixture(scope="module")
def idp_key() -> tuple[rsa.RSAPrivateKey, str]:
    return rsa_key_pem()


@pytest.fixture(scope="module")
def platform_key() -> tuple[rsa.RSAPrivateKey, str]:
    return rsa_key_pem()


@pytest.fixture
async def idp_client(
    settings: Settings,
    database: Database,
    clock: Clock,
    idp_key: tuple[rsa.RSAPrivateKey, str],
    platform_key: tuple[rsa.RSAPrivateKey, str],
) -> AsyncIterator[httpx.AsyncClient]:
    """The app trusting, besides the local key, the RS256 issuer `idp` for bearer tokens (its
    service-owner tokens carry the audience `https://idp.example/notifications`) and `nav` for
    Platform Access Tokens."""
    trusting = Settings(
        home=settings.home,
        database=settings.database,
        auth=AuthSettings(
            trusted_keys={"idp": idp_key[1], "nav": platform_key[1]},
            platform_issuers=["nav"],
            audiences={"service-owner": "https://idp.example/notifications"},
        ),
    )
    app = create_app(trusting, database=database, clock=clock)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        yield http


IDP_AUDIENCE = "https://idp.example/notifications"


async def test_post_order__bearer_token_from_trusted_rs256_issuer__accepted(
    idp_client: httpx.AsyncClient, idp_key: tuple[rsa.RSAPrivateKey, str]
) -> None:
    token = sign(
        idp_key[0], service_owner_claims(org="nav", issuer="idp", audience=IDP_AUDIENCE), algorithm="RS256"
    )

    posted = await idp_client.post(f"{API}/orders/email", json=email_order(), headers=bearer(token))

    assert posted.status_code == 202, posted.text
    got = await idp_client.get(f"{API}/orders/{posted.json()['orderId']}", headers=bearer(token))
    assert got.json()["creator"] == "nav"


async def test_post_order__bearer_token_from_trusted_issuer_for_another_audience__unauthorized(
    idp_client: httpx.AsyncClient, database: Database, idp_key: tuple[rsa.RSAPrivateKey, str]
) -> None:
    for audience in ("https://idp.example/other-api", DEFAULT_AUDIENCES[TokenKind.DATA_USER]):
        token = sign(
            idp_key[0], service_owner_claims(org="nav", issuer="idp", audience=audience), algorithm="RS256"
        )

        await assert_refused(idp_client, database, bearer(token), 401, UNAUTHORIZED_TYPE)


async def test_post_order__platform_access_token_from_trusted_rs256_issuer__creator_is_the_issuer(
    idp_client: httpx.AsyncClient, platform_key: tuple[rsa.RSAPrivateKey, str]
) -> None:
    headers = {"PlatformAccessToken": sign(platform_key[0], platform_claims("nav"), algorithm="RS256")}

    posted = await idp_client.post(f"{API}/orders/email", json=email_order(), headers=headers)

    assert posted.status_code == 202, posted.text
    got = await idp_client.get(f"{API}/orders/{posted.json()['orderId']}", headers=headers)
    assert got.json()["creator"] == "nav"


async def test_post_order__trusted_issuers_token_at_the_other_door__unauthorized(
    idp_client: httpx.AsyncClient,
    database: Database,
    idp_key: tuple[rsa.RSAPrivateKey, str],
    platform_key: tuple[rsa.RSAPrivateKey, str],
) -> None:
    """A bearer issuer's token is no Platform Access Token, even with the app claim, and a platform
    issuer's token is no bearer token, even with the audience."""
    bearer_as_platform = sign(
        idp_key[0],
        {**service_owner_claims(issuer="idp", audience=IDP_AUDIENCE), APP_CLAIM: "idp/x"},
        algorithm="RS256",
    )
    platform_as_bearer = sign(
        platform_key[0],
        {**platform_claims("nav"), **service_owner_claims(issuer="nav", audience=IDP_AUDIENCE)},
        algorithm="RS256",
    )
    platform_without_app = sign(platform_key[0], {"iss": "nav"}, algorithm="RS256")

    await assert_refused(
        idp_client, database, {"PlatformAccessToken": bearer_as_platform}, 401, UNAUTHORIZED_TYPE
    )
    await assert_refused(idp_client, database, bearer(platform_as_bearer), 401, UNAUTHORIZED_TYPE)
    await assert_refused(
        idp_client, database, {"PlatformAccessToken": platform_without_app}, 401, UNAUTHORIZED_TYPE
    )


async def test_post_order__trusted_issuer_name_signed_by_another_key__unauthorized(
    idp_client: httpx.AsyncClient, database: Database, home: Path
) -> None:
    forged_with_local_key = sign(home_key(home), service_owner_claims(issuer="idp"))
    forged_with_stranger_key = sign(rsa_key_pem()[0], service_owner_claims(issuer="idp"), algorithm="RS256")

    for token in (forged_with_local_key, forged_with_stranger_key):
        await assert_refused(idp_client, database, bearer(token), 401, UNAUTHORIZED_TYPE)


async def test_post_order__local_tokens__still_accepted_beside_the_trusted_issuer(
    idp_client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    posted = await idp_client.post(f"{API}/orders/email", json=email_order(), headers=auth)

    assert posted.status_code == 202


async def test_post_order__local_key_not_trusted__local_tokens_unauthorized(
    settings: Settings, database: Database, clock: Clock, auth: dict[str, str], tokens: Tokens
) -> None:
    strict = Settings(
        home=settings.home, database=settings.database, auth=AuthSettings(trust_local_key=False)
    )
    app = create_app(strict, database=database, clock=clock)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        for headers in (auth, tokens.platform("ttd")):
            await assert_refused(http, database, headers, 401, UNAUTHORIZED_TYPE)


@pytest.mark.parametrize(
    "audiences",
    [{"data-user": "orderdesk:notifications"}, {"data-user": "x", "service-owner": "x"}, {"platform": "x"}],
    ids=["another-kinds-own", "shared-by-two-kinds", "platform-has-none"],
)
def test_create_app__audiences_that_would_open_two_doors__refused_at_start(
    settings: Settings, audiences: dict[str, str]
) -> None:
    configured = Settings(
        home=settings.home, database=settings.database, auth=AuthSettings(audiences=audiences)
    )

    with pytest.raises(ValueError, match="audience"):
        create_app(configured)


def test_settings__platform_issuer_without_a_key__refused() -> None:
    with pytest.raises(ValueError, match="no key"):
        AuthSettings(platform_issuers=["ttd"])
