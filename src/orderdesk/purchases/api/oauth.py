"""`POST /oauth/token`: the client credentials grant of RFC 6749 §4.4. The client authenticates with
HTTP Basic or with `client_id`/`client_secret` parameters (not both); parameters are read from the
form body and from the query string. Errors are RFC 6749 §5.2 bodies, never problem details.

The secret is checked (scrypt) in a small pool of threads of its own, never on the event loop, and
failed attempts are limited per client id and per client address (`FailedAttempts`)."""

from __future__ import annotations

import base64
import binascii
import ipaddress
from typing import Any
from urllib.parse import parse_qsl, unquote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from orderdesk.auth.tokens import mint_client_token
from orderdesk.core import jsonschema
from orderdesk.core.bounded_executor import BoundedExecutor, Saturated
from orderdesk.core.db import Database
from orderdesk.purchases.api.deps import SecretChecksDep, TokenAttemptsDep, TokenIssuingDep
from orderdesk.purchases.ratelimit import FailedAttempts
from orderdesk.purchases.service.clients import check_secret, stored_secret_hash
from orderdesk.web import security
from orderdesk.web.deps import DatabaseDep
from orderdesk.web.log_context import OrderLoggedRoute

TOKEN_SECONDS = 43_200
TOKEN_PATH = "/oauth/token"
router = APIRouter(tags=["Purchase orders: OAuth2"], route_class=OrderLoggedRoute)
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_OAUTH_ERROR = {
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}},
            }
        }
    }
}


_RETRY_AFTER = {
    "Retry-After": {"description": "Seconds to wait before trying again.", "schema": {"type": "integer"}}
}
_BUSY_SECONDS = 1


class OAuthError(Exception):
    def __init__(self, status: int, error: str, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status, self.error, self.description = status, error, description
        self.retry_after = retry_after

    def response(self) -> JSONResponse:
        headers = dict(_NO_STORE)
        if self.status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="orderdesk"'
        if self.retry_after is not None:
            headers["Retry-After"] = str(self.retry_after)
        body = {"error": self.error, "error_description": self.description}
        return JSONResponse(body, status_code=self.status, headers=headers)


@security.documents_security(
    {
        "ClientBasic": {
            "type": "http",
            "scheme": "basic",
            "description": "The client id and secret of `orderdesk clients add`. They may instead be "
            "sent as the form parameters `client_id` and `client_secret` (not both ways at once).",
        }
    }
)
async def _client_basic() -> None:
    """Documents HTTP Basic for the token endpoint, which reads the credentials itself (FastAPI's
    HTTPBasic would answer a malformed header with its own 401 body instead of RFC 6749's)."""


_FORM = {
    "type": "object",
    "properties": {
        "grant_type": {"type": "string", "enum": ["client_credentials"]},
        "scope": {
            "type": "string",
            "pattern": jsonschema.STORABLE_PATTERN,
            "description": "Ignored: the token's scope is always `read`.",
        },
    },
    "required": ["grant_type"],
    # Other parameters are ignored (RFC 6749 §3.2), but each may be given once only, without NUL.
    "additionalProperties": {"type": "string", "pattern": jsonschema.STORABLE_PATTERN},
}


@router.post(
    TOKEN_PATH,
    summary="An access token for a client (grant_type=client_credentials)",
    dependencies=[Depends(_client_basic)],
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": _FORM}}}
    },
    responses={
        200: {"description": "`access_token`, `token_type` bearer, `expires_in` 43200, `scope` read"},
        400: {"description": "invalid_request or unsupported_grant_type", **_OAUTH_ERROR},
        401: {"description": "invalid_client", **_OAUTH_ERROR},
        429: {
            "description": "too_many_attempts: too many wrong secrets for this client id or from this "
            "address; every attempt, the right secret too, is refused until `Retry-After` seconds have "
            "passed",
            "headers": _RETRY_AFTER,
            **_OAUTH_ERROR,
        },
        503: {
            "description": "temporarily_unavailable: too many secrets are being checked at once",
            "headers": _RETRY_AFTER,
            **_OAUTH_ERROR,
        },
    },
)
async def token(
    request: Request,
    database: DatabaseDep,
    issuing: TokenIssuingDep,
    attempts: TokenAttemptsDep,
    checks: SecretChecksDep,
) -> JSONResponse:
    try:
        parameters = await _parameters(request)
        client_id, secret = _client_credentials(request, parameters)
        grant = parameters.get("grant_type")
        if not grant:
            raise OAuthError(400, "invalid_request", "grant_type is required.")
        if grant != "client_credentials":
            raise OAuthError(400, "unsupported_grant_type", "Only client_credentials is supported.")
        await _check_secret(request, database, attempts, checks, client_id, secret)
    except OAuthError as error:
        return error.response()
    access_token = mint_client_token(
        issuing.signing_key,
        issuer=issuing.issuer,
        client_id=client_id,
        ttl_seconds=TOKEN_SECONDS,
    )
    body: dict[str, Any] = {
        "access_token": access_token,
        "token_type": "bearer",
        "expires_in": TOKEN_SECONDS,
        "scope": "read",
    }
    return JSONResponse(body, headers=_NO_STORE)


async def _check_secret(
    request: Request,
    database: Database,
    attempts: FailedAttempts,
    checks: BoundedExecutor,
    client_id: str,
    secret: str,
) -> None:
    """Raises OAuthError unless `secret` is `client_id`'s: 429 past the limit of failed attempts
    (without checking), 503 when the pool of secret checks is full, 401 for a wrong secret."""
    address = _counted_address(request.client.host if request.client else "unknown")
    wait = await attempts.begin(client_id, address)
    if wait is not None:
        raise OAuthError(
            429, "too_many_attempts", f"Too many failed attempts; try again in {wait} s.", retry_after=wait
        )
    async with database.transaction() as connection:
        stored = await stored_secret_hash(connection, client_id)
    # The connection is back in the pool before the hash: a flood must not hold database connections.
    try:
        matches = await checks.run(check_secret, secret, stored)
    except Saturated as error:
        await attempts.give_back(client_id, address)
        raise OAuthError(
            503, "temporarily_unavailable", "Too many secrets are being checked; try again.", _BUSY_SECONDS
        ) from error
    if not matches:
        raise OAuthError(401, "invalid_client", "Unknown client or wrong secret.")
    await attempts.give_back(client_id, address)


def _counted_address(host: str) -> str:
    """The caller's address as failed attempts are counted: an IPv6 host is given a whole /64, so its
    /64 counts as one address (an IPv4-mapped one is its IPv4 address)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


async def _parameters(request: Request) -> dict[str, str]:
    """Query string and form body together (the body wins); a parameter given twice is an error."""
    found = dict(request.query_params)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    if body and content_type != "application/x-www-form-urlencoded":
        raise OAuthError(400, "invalid_request", "The body must be application/x-www-form-urlencoded.")
    try:
        pairs = parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=bool(body))
    except (UnicodeDecodeError, ValueError) as error:
        raise OAuthError(400, "invalid_request", "The body is not a valid form.") from error
    names = [name for name, _value in pairs]
    if len(names) != len(set(names)):
        raise OAuthError(400, "invalid_request", "A parameter is given more than once.")
    found.update(pairs)
    if any("\x00" in value for value in found.values()):
        raise OAuthError(400, "invalid_request", "Parameters must not hold NUL characters.")
    return found


def _client_credentials(request: Request, parameters: dict[str, str]) -> tuple[str, str]:
    header = request.headers.get("authorization")
    in_parameters = "client_id" in parameters or "client_secret" in parameters
    if header is not None:
        if in_parameters:
            raise OAuthError(400, "invalid_request", "Authenticate with HTTP Basic or parameters, not both.")
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            raise OAuthError(401, "invalid_client", "Client authentication must be HTTP Basic.")
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError) as error:
            raise OAuthError(401, "invalid_client", "Malformed HTTP Basic credentials.") from error
        client_id, separator, secret = decoded.partition(":")
        if not separator:
            raise OAuthError(401, "invalid_client", "Malformed HTTP Basic credentials.")
        client_id, secret = unquote(client_id), unquote(secret)
        if "\x00" in client_id or "\x00" in secret:
            raise OAuthError(401, "invalid_client", "Malformed HTTP Basic credentials.")
        return client_id, secret
    if not in_parameters:
        raise OAuthError(401, "invalid_client", "Client authentication is required.")
    return parameters.get("client_id", ""), parameters.get("client_secret", "")
