"""Verifying bearer and Platform Access Tokens: signature, expiry and issuer, with a cache.

A verified token is cached until it expires, so a status read pays for one dictionary lookup
instead of an ECDSA or RSA verification.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, Literal, TypeGuard

import jwt
from cachetools import TLRUCache
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes

from orderdesk.auth.errors import Forbidden, Unauthenticated
from orderdesk.auth.principals import DATA_USER_ROLES, ApiClient, DataUser, ServiceOwner
from orderdesk.auth.tokens import (
    CLIENT_TOKEN_AUDIENCE,
    DELIVERY_REPORTS_WRITE_SCOPE,
    NOTIFICATIONS_CREATE_SCOPE,
    ORG_CLAIM,
)

ALGORITHMS = ["RS256", "ES256"]
MAX_ORG_LENGTH = 100
"""The longest organisation name: the width of `notification_order.creator`."""
_RSA_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"]
_EC_ALGORITHMS = {"secp256r1": ["ES256"], "secp384r1": ["ES384"], "secp521r1": ["ES512"]}
TokenKind = Literal["bearer", "platform"]
Claims = dict[str, Any]


class TokenVerifier:
    """Knows the trusted keys and remembers tokens it has verified until they expire."""

    def __init__(
        self,
        *,
        trusted_keys: Mapping[str, PublicKeyTypes],
        local_key: PublicKeyTypes | None,
        local_issuer: str,
        cache_size: int = 10_000,
    ) -> None:
        self._trusted_keys = dict(trusted_keys)
        self._local_key = local_key
        self._local_issuer = local_issuer
        self._cache: TLRUCache[tuple[TokenKind, str], Claims] | None = (
            TLRUCache(maxsize=cache_size, ttu=_expiry, timer=time.time) if cache_size else None
        )

    def verify(self, kind: TokenKind, token: str) -> Claims:
        """The token's claims; Unauthenticated if the signature, issuer or expiry is wrong."""
        key = (kind, token)
        if self._cache is not None:
            cached = self._cache.get(key)
            if cached is not None:
                return cached
        claims = self._decode(kind, token)
        if self._cache is not None:
            self._cache[key] = claims
        return claims

    def _decode(self, kind: TokenKind, token: str) -> Claims:
        try:
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as error:
            raise Unauthenticated("The token is not a well-formed JWT.") from error
        issuer = unverified.get("iss")
        if not isinstance(issuer, str) or not issuer:
            raise Unauthenticated("The token names no issuer.")
        signing_key = self._key_for(kind, issuer)
        if signing_key is None:
            raise Unauthenticated(f"The token's issuer '{issuer}' is not trusted.")
        try:
            claims: Claims = jwt.decode(
                token,
                signing_key,  # type: ignore[arg-type]
                algorithms=_algorithms_for(signing_key),
                issuer=issuer,
                options={"require": ["exp", "iss"], "verify_aud": False},
            )
        except jwt.ExpiredSignatureError as error:
            raise Unauthenticated("The token has expired.") from error
        except jwt.PyJWTError as error:
            raise Unauthenticated(f"The token could not be verified: {error}.") from error
        except (TypeError, ValueError) as error:
            # PyJWT raises these, not PyJWTError, when the token's algorithm does not fit the key.
            raise Unauthenticated("The token's algorithm does not match the issuer's key.") from error
        return claims

    def _key_for(self, kind: TokenKind, issuer: str) -> PublicKeyTypes | None:
        if issuer in self._trusted_keys:
            return self._trusted_keys[issuer]
        # A Platform Access Token's issuer is the calling organisation, so the local key (held only
        # by whoever runs this service) may sign for any organisation; bearer tokens must come from
        # the local issuer.
        if kind == "platform" or issuer == self._local_issuer:
            return self._local_key
        return None

    def service_owner(self, *, bearer: str | None, platform: str | None) -> ServiceOwner:
        """Who is ordering: the Platform Access Token's issuer, else the bearer token's org claim.

        Raises Unauthenticated (401) when no valid token is given and Forbidden (403) when a valid
        bearer token lacks the notifications scope or names no organisation.
        """
        if platform:
            claims = self.verify("platform", platform)
            issuer = claims["iss"]
            if not _is_org_name(issuer):
                raise Forbidden("The Platform Access Token's issuer is not an organisation name.")
            return ServiceOwner(org=issuer, via="platform")
        if not bearer:
            raise Unauthenticated("An Authorization bearer token or a PlatformAccessToken is required.")
        claims = self.verify("bearer", bearer)
        if NOTIFICATIONS_CREATE_SCOPE not in _scopes(claims.get("scope")):
            raise Forbidden(f"The token lacks the scope '{NOTIFICATIONS_CREATE_SCOPE}'.")
        org = claims.get(ORG_CLAIM)
        if not _is_org_name(org):
            raise Forbidden(f"The token has no '{ORG_CLAIM}' claim naming the organisation.")
        return ServiceOwner(org=org, via="bearer")

    def report_sender(self, *, bearer: str | None) -> Claims:
        """The claims of a provider posting delivery reports.

        Raises Unauthenticated (401) without a valid bearer token and Forbidden (403) when it lacks the
        delivery-reports scope; no organisation is needed, as reports belong to no order owner.
        """
        if not bearer:
            raise Unauthenticated("An Authorization bearer token is required.")
        claims = self.verify("bearer", bearer)
        if DELIVERY_REPORTS_WRITE_SCOPE not in _scopes(claims.get("scope")):
            raise Forbidden(f"The token lacks the scope '{DELIVERY_REPORTS_WRITE_SCOPE}'.")
        return claims

    def data_user(self, *, bearer: str | None) -> DataUser:
        """The user of the data-order API: 401 without a valid bearer token, 403 when it names no
        user (e-mail) or a role the API does not know."""
        if not bearer:
            raise Unauthenticated("An Authorization bearer token is required.")
        claims = self.verify("bearer", bearer)
        email = claims.get("email")
        role = claims.get("role", "REGISTERED_USER")
        if not isinstance(email, str) or not 0 < len(email) <= 320 or "\x00" in email:
            raise Forbidden("The token names no user (claim 'email').")
        if role not in DATA_USER_ROLES:
            raise Forbidden(f"The token's role must be one of {', '.join(DATA_USER_ROLES)}.")
        return DataUser(email=email, role=role)

    def api_client(self, *, bearer: str | None) -> ApiClient:
        """The client of a purchase-API call: 401 unless the bearer token is an access token that
        `/oauth/token` issued (audience `orderdesk:capi`) and is still valid."""
        if not bearer:
            raise Unauthenticated("An access token is required (Authorization: Bearer …).")
        claims = self.verify("bearer", bearer)
        client_id = claims.get("client_id")
        if claims.get("aud") != CLIENT_TOKEN_AUDIENCE or not isinstance(client_id, str) or not client_id:
            raise Unauthenticated("The token is not an access token of the purchase API.")
        return ApiClient(client_id=client_id)


def _scopes(claim: Any) -> list[str]:
    """`scope` as a space-separated string (OAuth 2) or a list of strings; anything else grants none."""
    if isinstance(claim, str):
        return claim.split()
    if isinstance(claim, list):
        return [scope for scope in claim if isinstance(scope, str)]
    return []


def _is_org_name(value: Any) -> TypeGuard[str]:
    """An organisation's short name (`ttd`, `skd`): it becomes the creator of orders, stored in a
    column of MAX_ORG_LENGTH characters, so longer or blank names derive no organisation (403)."""
    return (
        isinstance(value, str)
        and 0 < len(value) <= MAX_ORG_LENGTH
        and value.isprintable()
        and value.strip() == value
    )


def _algorithms_for(key: PublicKeyTypes) -> list[str]:
    """Only the algorithms the issuer's key can verify: a token naming another one is refused as
    unverifiable (PyJWT would otherwise fail on the key type with a TypeError)."""
    if isinstance(key, rsa.RSAPublicKey):
        return _RSA_ALGORITHMS
    if isinstance(key, ec.EllipticCurvePublicKey):
        return _EC_ALGORITHMS.get(key.curve.name, [])
    return ALGORITHMS


def _expiry(_key: tuple[TokenKind, str], claims: Claims, _now: float) -> float:
    return float(claims["exp"])
