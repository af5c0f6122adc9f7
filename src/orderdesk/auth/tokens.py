"""Minting tokens signed with the local key (ES256), for development and for the CLI.

Every token names its kind (claim `orderdesk:kind`) and the door it opens (`aud`), so a token made
for one door is refused at every other (see `orderdesk.auth.verifier`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from enum import StrEnum
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from orderdesk.core.clock import utcnow

NOTIFICATIONS_CREATE_SCOPE = "altinn:serviceowner/notifications.create"
NOTIFICATIONS_SUPPORT_SCOPE = "altinn:notifications.support.admin"
"""Granted to support staff: the look-up of every creator's notifications to one person or
organisation (`orderdesk token --org ORG --scope altinn:notifications.support.admin`)."""

COMPOSED_EMAIL_CREATE_SCOPE = "altinn:serviceowner/notifications.composedemail.create"
"""The only door to composed e-mail (attachments fetched from the client's storage): the create scope
alone does not open it, as in the original service."""
DELIVERY_REPORTS_WRITE_SCOPE = "orderdesk:notifications/deliveryreports.write"
"""Granted to providers that post delivery reports (`orderdesk token --org X --scope ...`)."""
ORG_CLAIM = "urn:altinn:org"
APP_CLAIM = "urn:altinn:app"
"""Carried by every Platform Access Token (Altinn's name the app, `org/app`); no other kind has it."""
KIND_CLAIM = "orderdesk:kind"
LOCAL_ALGORITHM = "ES256"


class TokenKind(StrEnum):
    """What a token is for: each kind opens one door of the API, and only that one."""

    SERVICE_OWNER = "service-owner"
    """Bearer token of an organisation on the notification API (`/notifications/api/v1/orders…`)."""
    PLATFORM = "platform"
    """Platform Access Token, in the `PlatformAccessToken` header of the notification API."""
    DELIVERY_REPORT = "delivery-report"
    """Bearer token of a provider posting delivery reports (`/notifications/api/v1/deliveryreports…`)."""
    DATA_USER = "data-user"
    """Bearer token of a person on the data-order API (`/api/v1/rs-order`)."""
    PURCHASE_CLIENT = "purchase-client"
    """Access token from `POST /oauth/token`, for the client paths of `/capi/v1/client/…`."""
    PURCHASE_USER = "purchase-user"
    """Bearer token of a logged-in customer on the user paths of `/capi/v1` (outside `client/`)."""


BEARER_KINDS = tuple(kind for kind in TokenKind if kind is not TokenKind.PLATFORM)
DEFAULT_AUDIENCES: Mapping[TokenKind, str] = {
    TokenKind.SERVICE_OWNER: "orderdesk:notifications",
    TokenKind.DELIVERY_REPORT: "orderdesk:deliveryreports",
    TokenKind.DATA_USER: "orderdesk:rs-order",
    TokenKind.PURCHASE_CLIENT: "orderdesk:capi",
    TokenKind.PURCHASE_USER: "orderdesk:capi-user",
}
"""The `aud` each bearer kind carries (ORDERDESK_AUTH_AUDIENCES may add one per kind for external
issuers). Platform Access Tokens carry none, as Altinn's do not: they are known by their issuer and
the `urn:altinn:app` claim."""
CLIENT_TOKEN_AUDIENCE = DEFAULT_AUDIENCES[TokenKind.PURCHASE_CLIENT]


def audiences_with(extra: Mapping[str, str]) -> dict[TokenKind, tuple[str, ...]]:
    """The audiences each bearer kind's door accepts: its own (which the tokens minted here carry)
    and the one ORDERDESK_AUTH_AUDIENCES adds for it (kind name → audience of an external issuer).

    Raises ValueError for an unknown kind, or an audience that another kind's door takes too, which
    would let that kind's tokens open this door."""
    accepted: dict[TokenKind, tuple[str, ...]] = {
        kind: (audience,) for kind, audience in DEFAULT_AUDIENCES.items()
    }
    for name, audience in extra.items():
        kind = next((kind for kind in BEARER_KINDS if kind.value == name), None)
        if kind is None:
            names = ", ".join(kind.value for kind in BEARER_KINDS)
            raise ValueError(f"audiences are set for {names}, not for {name!r}")
        if not audience:
            raise ValueError(f"the audience of {name} must not be empty")
        accepted[kind] = (*accepted[kind], audience)
    every = [audience for audiences in accepted.values() for audience in set(audiences)]
    if len(set(every)) != len(every):
        raise ValueError("each kind of token needs an audience of its own")
    return accepted


def _sign(key: PrivateKeyTypes, kind: TokenKind, claims: dict[str, Any], ttl_seconds: int) -> str:
    now = utcnow()
    payload = {
        **claims,
        KIND_CLAIM: kind.value,
        "iat": now,
        "nbf": now,
        "exp": now + timedelta(seconds=ttl_seconds),
    }
    audience = DEFAULT_AUDIENCES.get(kind)
    if audience is not None:
        payload["aud"] = audience
    return jwt.encode(payload, key, algorithm=LOCAL_ALGORITHM)  # type: ignore[arg-type]


def mint_service_owner_token(
    key: PrivateKeyTypes,
    *,
    issuer: str,
    org: str,
    scopes: Sequence[str] = (NOTIFICATIONS_CREATE_SCOPE,),
    ttl_seconds: int = 3600,
) -> str:
    """A bearer token for a service owner: `scope` (space separated) and `urn:altinn:org`."""
    return _sign(key, TokenKind.SERVICE_OWNER, _org_claims(issuer, org, scopes), ttl_seconds)


def mint_report_sender_token(
    key: PrivateKeyTypes,
    *,
    issuer: str,
    org: str,
    scopes: Sequence[str] = (DELIVERY_REPORTS_WRITE_SCOPE,),
    ttl_seconds: int = 3600,
) -> str:
    """A bearer token for a provider that posts delivery reports, and for nothing else."""
    return _sign(key, TokenKind.DELIVERY_REPORT, _org_claims(issuer, org, scopes), ttl_seconds)


def _org_claims(issuer: str, org: str, scopes: Sequence[str]) -> dict[str, Any]:
    return {"iss": issuer, "sub": org, ORG_CLAIM: org, "scope": " ".join(scopes)}


def mint_org_token(
    key: PrivateKeyTypes,
    *,
    issuer: str,
    org: str,
    scopes: Sequence[str],
    ttl_seconds: int = 3600,
) -> str:
    """An organisation's bearer token, as `orderdesk token --org ORG [--scope S …]` prints it: a
    delivery-report token when the scopes grant posting reports, else a service-owner token.

    Raises ValueError when the scopes ask for both: one token opens one door."""
    if DELIVERY_REPORTS_WRITE_SCOPE in scopes:
        if NOTIFICATIONS_CREATE_SCOPE in scopes:
            raise ValueError(
                f"a token is for one door: {DELIVERY_REPORTS_WRITE_SCOPE} and "
                f"{NOTIFICATIONS_CREATE_SCOPE} need a token each"
            )
        return mint_report_sender_token(
            key,
            issuer=issuer,
            org=org,
            scopes=scopes,
            ttl_seconds=ttl_seconds,
        )
    return mint_service_owner_token(
        key,
        issuer=issuer,
        org=org,
        scopes=scopes,
        ttl_seconds=ttl_seconds,
    )


def mint_platform_access_token(key: PrivateKeyTypes, *, org: str, ttl_seconds: int = 3600) -> str:
    """A Platform Access Token: the issuer is the calling organisation itself."""
    claims = {"iss": org, APP_CLAIM: f"{org}/orderdesk-cli"}
    return _sign(key, TokenKind.PLATFORM, claims, ttl_seconds)


def mint_user_token(
    key: PrivateKeyTypes,
    *,
    issuer: str,
    email: str,
    role: str = "REGISTERED_USER",
    ttl_seconds: int = 3600,
    kind: TokenKind = TokenKind.DATA_USER,
) -> str:
    """A bearer token for a person identified by e-mail: a data-order user (the default) or, with
    `kind=PURCHASE_USER`, a customer of the purchase API."""
    if kind not in (TokenKind.DATA_USER, TokenKind.PURCHASE_USER):
        raise ValueError(f"not a kind of user token: {kind}")
    claims = {"iss": issuer, "sub": email, "email": email, "role": role}
    return _sign(key, kind, claims, ttl_seconds)


def mint_client_token(
    key: PrivateKeyTypes,
    *,
    issuer: str,
    client_id: str,
    ttl_seconds: int,
) -> str:
    """An OAuth2 access token for a purchase-API client (client credentials grant), scope `read`."""
    claims = {"iss": issuer, "sub": client_id, "client_id": client_id, "scope": "read"}
    return _sign(key, TokenKind.PURCHASE_CLIENT, claims, ttl_seconds)
