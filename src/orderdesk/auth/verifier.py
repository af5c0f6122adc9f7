"""Verifying tokens: signature, expiry, issuer, and that the token is of the kind the door takes.

Each door takes one kind of token (see `TokenKind`): a bearer token must carry that door's audience
(`aud`), and its `orderdesk:kind` claim, when it has one, must name that kind; a Platform Access
Token must come from a platform issuer and carry `urn:altinn:app`. Tokens of external issuers are
recognised the same way: the operator configures their keys (ORDERDESK_AUTH_TRUSTED_KEYS), which of
them issue Platform Access Tokens (ORDERDESK_AUTH_PLATFORM_ISSUERS), and the audience each door
takes (ORDERDESK_AUTH_AUDIENCES). A verified token is cached per door until it expires, so a status
read pays for one dictionary lookup instead of an ECDSA or RSA verification.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping
from typing import Any, TypeGuard

import jwt
from cachetools import TLRUCache
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes

from orderdesk.auth.errors import Forbidden, Unauthenticated
from orderdesk.auth.principals import DATA_USER_ROLES, ApiClient, DataUser, ServiceOwner
from orderdesk.auth.tokens import (
    APP_CLAIM,
    DELIVERY_REPORTS_WRITE_SCOPE,
    KIND_CLAIM,
    NOTIFICATIONS_CREATE_SCOPE,
    NOTIFICATIONS_SUPPORT_SCOPE,
    ORG_CLAIM,
    TokenKind,
    audiences_with,
)

ALGORITHMS = ["RS256", "ES256"]
MAX_ORG_LENGTH = 100
"""The longest organisation name: the width of `notification_order.creator`."""
_RSA_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"]
_EC_ALGORITHMS = {"secp256r1": ["ES256"], "secp384r1": ["ES384"], "secp521r1": ["ES512"]}
_TIME_CLAIMS = ("exp", "nbf", "iat")
Claims = dict[str, Any]


class TokenVerifier:
    """Knows the trusted keys and the audience of each door, and remembers tokens it has verified
    until they expire."""

    def __init__(
        self,
        *,
        trusted_keys: Mapping[str, PublicKeyTypes],
        local_key: PublicKeyTypes | None,
        local_issuer: str,
        own_key: PublicKeyTypes | None = None,
        platform_issuers: Collection[str] = (),
        audiences: Mapping[TokenKind, tuple[str, ...]] | None = None,
        cache_size: int = 10_000,
    ) -> None:
        self._trusted_keys = dict(trusted_keys)
        self._local_key = local_key
        self._local_issuer = local_issuer
        self._own_key = own_key
        self._platform_issuers = frozenset(platform_issuers)
        self._audiences = audiences_with({}) if audiences is None else dict(audiences)
        self._cache: TLRUCache[tuple[TokenKind, str], Claims] | None = (
            TLRUCache(maxsize=cache_size, ttu=_expiry, timer=time.time) if cache_size else None
        )

    def verify(self, kind: TokenKind, token: str) -> Claims:
        """The claims of a token of `kind`; Unauthenticated if the signature, issuer, expiry, kind or
        audience is wrong."""
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
            if kind is TokenKind.PLATFORM:
                raise Unauthenticated(f"The token's issuer '{issuer}' is not a trusted platform issuer.")
            raise Unauthenticated(f"The token's issuer '{issuer}' is not trusted for bearer tokens.")
        # Checked before the signature too: PyJWT reads a numeric string as a number.
        _require_numeric_times(unverified)
        audience = () if kind is TokenKind.PLATFORM else self._audiences[kind]
        try:
            claims: Claims = jwt.decode(
                token,
                signing_key,  # type: ignore[arg-type]
                algorithms=_algorithms_for(signing_key),
                issuer=issuer,
                audience=list(audience) or None,
                options={"require": ["exp", "iss"], "verify_aud": bool(audience)},
            )
        except jwt.ExpiredSignatureError as error:
            raise Unauthenticated("The token has expired.") from error
        except jwt.InvalidAudienceError as error:
            raise Unauthenticated(
                f"The token is not for this API: its audience must include '{audience[0]}'."
            ) from error
        except jwt.MissingRequiredClaimError as error:
            raise Unauthenticated(f"The token lacks the claim '{error.claim}'.") from error
        except jwt.PyJWTError as error:
            raise Unauthenticated(f"The token could not be verified: {error}.") from error
        except (TypeError, ValueError) as error:
            # PyJWT raises these, not PyJWTError, when the token's algorithm does not fit the key.
            raise Unauthenticated("The token's algorithm does not match the issuer's key.") from error
        _require_kind(kind, claims)
        return claims

    def _key_for(self, kind: TokenKind, issuer: str) -> PublicKeyTypes | None:
        """The key that may sign a token of `kind` from `issuer`, None when none may.

        An external issuer's key signs one of the two families: Platform Access Tokens when it is
        listed among the platform issuers, bearer tokens otherwise. The local key signs bearer tokens
        of the local issuer and, since a Platform Access Token's issuer is the calling organisation,
        platform tokens of any other issuer that no configured key speaks for.

        The access tokens `/oauth/token` issues are the service's own: the key that signs them
        (`own_key`) verifies them even when the local key is not trusted for the other kinds."""
        if kind is TokenKind.PURCHASE_CLIENT and issuer == self._local_issuer and self._own_key is not None:
            return self._own_key
        if issuer in self._trusted_keys:
            if (issuer in self._platform_issuers) == (kind is TokenKind.PLATFORM):
                return self._trusted_keys[issuer]
            return None
        if kind is TokenKind.PLATFORM:
            return self._local_key if issuer != self._local_issuer else None
        return self._local_key if issuer == self._local_issuer else None

    def service_owner(
        self, *, bearer: str | None, platform: str | None, scope: str = NOTIFICATIONS_CREATE_SCOPE
    ) -> ServiceOwner:
        """Who is ordering: the Platform Access Token's issuer, else the bearer token's org claim.

        Raises Unauthenticated (401) when no valid token of the notification API is given and
        Forbidden (403) when a valid bearer token lacks `scope` or names no organisation. A door of
        another scope than the create scope takes bearer tokens only (`platform` is None there).
        """
        if platform and scope == NOTIFICATIONS_CREATE_SCOPE:
            claims = self.verify(TokenKind.PLATFORM, platform)
            issuer = claims["iss"]
            if not _is_org_name(issuer):
                raise Forbidden("The Platform Access Token's issuer is not an organisation name.")
            return ServiceOwner(org=issuer, via="platform")
        if not bearer:
            raise Unauthenticated("An Authorization bearer token or a PlatformAccessToken is required.")
        claims = self.verify(TokenKind.SERVICE_OWNER, bearer)
        if scope not in _scopes(claims.get("scope")):
            raise Forbidden(f"The token lacks the scope '{scope}'.")
        org = claims.get(ORG_CLAIM)
        if not _is_org_name(org):
            raise Forbidden(f"The token has no '{ORG_CLAIM}' claim naming the organisation.")
        return ServiceOwner(org=org, via="bearer")

    def support_admin(self, *, bearer: str | None) -> Claims:
        """The claims of a member of support staff looking across creators.

        Raises Unauthenticated (401) without a valid service-owner bearer token and Forbidden (403)
        when it lacks the support scope. A Platform Access Token does not grant it: it names an
        organisation, not a person of support."""
        if not bearer:
            raise Unauthenticated("An Authorization bearer token is required.")
        claims = self.verify(TokenKind.SERVICE_OWNER, bearer)
        if NOTIFICATIONS_SUPPORT_SCOPE not in _scopes(claims.get("scope")):
            raise Forbidden(f"The token lacks the scope '{NOTIFICATIONS_SUPPORT_SCOPE}'.")
        return claims

    def report_sender(self, *, bearer: str | None) -> Claims:
        """The claims of a provider posting delivery reports.

        Raises Unauthenticated (401) without a valid delivery-report token and Forbidden (403) when it
        lacks the delivery-reports scope; no organisation is needed, as reports belong to no order
        owner.
        """
        if not bearer:
            raise Unauthenticated("An Authorization bearer token is required.")
        claims = self.verify(TokenKind.DELIVERY_REPORT, bearer)
        if DELIVERY_REPORTS_WRITE_SCOPE not in _scopes(claims.get("scope")):
            raise Forbidden(f"The token lacks the scope '{DELIVERY_REPORTS_WRITE_SCOPE}'.")
        return claims

    def data_user(self, *, bearer: str | None) -> DataUser:
        """The user of the data-order API: 401 without a valid data-user token, 403 when it names no
        user (e-mail) or a role the API does not know."""
        return self._user(TokenKind.DATA_USER, bearer)

    def purchase_user(self, *, bearer: str | None) -> DataUser:
        """A logged-in customer of the purchase API's user paths: 401 without a valid purchase-user
        token, 403 when it names no user (e-mail) or a role the API does not know."""
        return self._user(TokenKind.PURCHASE_USER, bearer)

    def _user(self, kind: TokenKind, bearer: str | None) -> DataUser:
        if not bearer:
            raise Unauthenticated("An Authorization bearer token is required.")
        claims = self.verify(kind, bearer)
        email = claims.get("email")
        role = claims.get("role", "REGISTERED_USER")
        if not isinstance(email, str) or not 0 < len(email) <= 320 or "\x00" in email:
            raise Forbidden("The token names no user (claim 'email').")
        if role not in DATA_USER_ROLES:
            raise Forbidden(f"The token's role must be one of {', '.join(DATA_USER_ROLES)}.")
        return DataUser(email=email, role=role)

    def api_client(self, *, bearer: str | None) -> ApiClient:
        """The client of a purchase-API call: 401 unless the bearer token is an access token that
        `/oauth/token` issued (kind purchase-client, its audience) and is still valid."""
        if not bearer:
            raise Unauthenticated("An access token is required (Authorization: Bearer …).")
        claims = self.verify(TokenKind.PURCHASE_CLIENT, bearer)
        client_id = claims.get("client_id")
        if not isinstance(client_id, str) or not client_id:
            raise Unauthenticated("The token is not an access token of the purchase API.")
        return ApiClient(client_id=client_id)


def _require_numeric_times(claims: Mapping[str, Any]) -> None:
    """RFC 7519 §2: `exp`, `nbf` and `iat` are NumericDate, a JSON number; a string is refused."""
    for name in _TIME_CLAIMS:
        if name in claims:
            value = claims[name]
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise Unauthenticated(f"The token's '{name}' claim must be a number (seconds since 1970).")


def _require_kind(kind: TokenKind, claims: Claims) -> None:
    """A token that names its kind must name this door's; a platform token must carry the app claim
    of Altinn's Platform Access Tokens, which no bearer kind has."""
    named = claims.get(KIND_CLAIM)
    if named is not None and named != kind.value:
        raise Unauthenticated(f"The token is a '{named}' token; this API takes '{kind.value}' tokens.")
    app = claims.get(APP_CLAIM)
    if kind is TokenKind.PLATFORM:
        if not isinstance(app, str) or not app:
            raise Unauthenticated(f"The token is not a Platform Access Token (no '{APP_CLAIM}' claim).")
    elif app is not None:
        raise Unauthenticated("A Platform Access Token is not a bearer token.")


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
