"""Minting tokens signed with the local key (ES256), for development and for the CLI."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from orderdesk.core.clock import utcnow

NOTIFICATIONS_CREATE_SCOPE = "altinn:serviceowner/notifications.create"
DELIVERY_REPORTS_WRITE_SCOPE = "orderdesk:notifications/deliveryreports.write"
"""Granted to providers that post delivery reports (`orderdesk token --org X --scope ...`)."""
ORG_CLAIM = "urn:altinn:org"
LOCAL_ALGORITHM = "ES256"


def _sign(key: PrivateKeyTypes, claims: dict[str, Any], ttl_seconds: int) -> str:
    now = utcnow()
    payload = {**claims, "iat": now, "nbf": now, "exp": now + timedelta(seconds=ttl_seconds)}
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
    claims = {"iss": issuer, "sub": org, ORG_CLAIM: org, "scope": " ".join(scopes)}
    return _sign(key, claims, ttl_seconds)


def mint_platform_access_token(key: PrivateKeyTypes, *, org: str, ttl_seconds: int = 3600) -> str:
    """A Platform Access Token: the issuer is the calling organisation itself."""
    return _sign(key, {"iss": org, "urn:altinn:app": f"{org}/orderdesk-cli"}, ttl_seconds)


def mint_user_token(
    key: PrivateKeyTypes,
    *,
    issuer: str,
    email: str,
    role: str = "REGISTERED_USER",
    ttl_seconds: int = 3600,
) -> str:
    """A bearer token for a data-order user, identified by e-mail."""
    return _sign(key, {"iss": issuer, "sub": email, "email": email, "role": role}, ttl_seconds)


CLIENT_TOKEN_AUDIENCE = "orderdesk:capi"


def mint_client_token(key: PrivateKeyTypes, *, issuer: str, client_id: str, ttl_seconds: int) -> str:
    """An OAuth2 access token for a purchase-API client (client credentials grant), scope `read`."""
    claims = {
        "iss": issuer,
        "sub": client_id,
        "client_id": client_id,
        "aud": CLIENT_TOKEN_AUDIENCE,
        "scope": "read",
    }
    return _sign(key, claims, ttl_seconds)
