"""What the `/capi` endpoints share: their error bodies (`{exceptionType, errorMessage}`, OAuth
errors for tokens), the caller's identity, and the rate limit whose headers go on every answer."""

from __future__ import annotations

import math
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

import structlog
from fastapi import Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from orderdesk.auth.errors import Forbidden, Unauthenticated
from orderdesk.auth.principals import ApiClient, DataUser
from orderdesk.core.db import refused_connection
from orderdesk.core.errors import DatabaseUnavailable, DomainError, InvalidInput
from orderdesk.purchases.api.deps import get_rate_limiter
from orderdesk.purchases.errors import RateLimited, UnknownClient
from orderdesk.purchases.ratelimit import RateDecision
from orderdesk.purchases.schemas import CapiError, OAuthErrorBody
from orderdesk.web.deps import get_token_verifier
from orderdesk.web.log_context import OrderLoggedRoute
from orderdesk.web.wire import error_field, error_message

PREFIX = "/capi/v1"
_log = structlog.get_logger(__name__)
_client_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ClientCredentials",
    description="An access token from `POST /oauth/token` (grant_type=client_credentials).",
)
_customer_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="CustomerBearer",
    description="A JWT of a logged-in customer: claim `email`, audience `orderdesk:capi-user` "
    "(`orderdesk token --user EMAIL --api purchases`).",
)

_EXCEPTION_TYPES: dict[int, str] = {
    400: "BadRequestException",
    404: "OrderNotFoundException",
    429: "TooManyRequestsException",
    503: "ServiceUnavailableException",
}
"""The original's `exceptionType` of the domain errors this API answers with, by the status each
declares (its only 404 is an unknown order); any other domain error is an internal error here."""
_BY_HTTP_STATUS = {
    400: "BadRequestException",
    404: "NotFoundException",
    405: "MethodNotAllowedException",
    413: "PayloadTooLargeException",
}


def capi_error(status: int, exception_type: str, message: str) -> JSONResponse:
    body = CapiError(exception_type=exception_type, error_message=message)
    return JSONResponse(body.model_dump(by_alias=True), status_code=status)


def oauth_error(status: int, error: str, description: str) -> JSONResponse:
    """RFC 6750 §3: a bearer token that is missing, wrong or expired (401), or of the wrong kind (403)."""
    challenge = f'Bearer realm="orderdesk", error="{error}"'
    body = OAuthErrorBody(error=error, error_description=description)
    return JSONResponse(body.model_dump(), status_code=status, headers={"WWW-Authenticate": challenge})


def http_error_response(error: StarletteHTTPException) -> JSONResponse:
    """Errors no route raised (unknown path, wrong method) in the purchase API's shape."""
    exception_type = _BY_HTTP_STATUS.get(error.status_code, "HttpException")
    response = capi_error(error.status_code, exception_type, str(error.detail))
    if error.headers:
        response.headers.update(error.headers)
    return response


def _validation_message(error: RequestValidationError) -> str:
    """`field.path: message` for each error, with the location names of the wire."""
    return "; ".join(
        f"{error_field(item)}: {error_message(item).removeprefix('Value error, ')}" for item in error.errors()
    )


def _error_response(error: Exception) -> Response | None:
    if isinstance(error, RequestValidationError):
        return capi_error(400, "BadRequestException", _validation_message(error))
    if isinstance(error, Unauthenticated | UnknownClient):
        return oauth_error(401, "invalid_token", error.message)
    if isinstance(error, Forbidden):
        return oauth_error(403, "insufficient_scope", error.message)
    if refused_connection(error) and not isinstance(error, DatabaseUnavailable):
        error = DatabaseUnavailable()
    if isinstance(error, DomainError) and error.status in _EXCEPTION_TYPES:
        message = error.message
        if isinstance(error, InvalidInput) and error.errors:
            message = "; ".join(f"{name}: {text}" for name, texts in error.errors.items() for text in texts)
        response = capi_error(error.status, _EXCEPTION_TYPES[error.status], message)
        if isinstance(error, DatabaseUnavailable):
            response.headers["Retry-After"] = str(error.retry_after_seconds)
        return response
    if isinstance(error, StarletteHTTPException):
        return http_error_response(error)
    return None


class CapiRoute(OrderLoggedRoute):
    """Authenticates the caller and counts the call before anything else is read (a body that is not
    even JSON counts too), answers errors in the purchase API's own shapes instead of the problem
    details of the rest of orderdesk, and puts the caller's rate-limit headers on every answer to a
    known caller, errors included. Paths under `/client/` are for clients, the others for users."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()
        for_clients = self.path.startswith(f"{PREFIX}/client/")

        async def route_handler(request: Request) -> Response:
            try:
                await _identify(request, for_clients)
                response = await handle(request)
            except Exception as error:
                answer = _error_response(error)
                if answer is None:
                    _log.error(
                        "unhandled_error", method=request.method, path=request.url.path, exc_info=error
                    )
                    answer = capi_error(500, "InternalServerException", "An internal error occurred.")
                response = answer
            decision: RateDecision | None = getattr(request.state, "rate_limit", None)
            if decision is not None:
                response.headers.update(rate_limit_headers(decision))
            return response

        return route_handler


def rate_limit_headers(decision: RateDecision) -> dict[str, str]:
    headers = {
        "X-RateLimit-Remaining": str(decision.remaining),
        "X-RateLimit-Reset": str(decision.reset_seconds),
    }
    if not decision.allowed:
        headers["Retry-After"] = str(max(1, math.ceil(decision.reset_seconds)))
    return headers


async def _identify(request: Request, for_clients: bool) -> None:
    """Who calls (401 without a valid token; 403 for a user path whose token names no user), and one
    more call of theirs counted (429 beyond the limit): clients per client id, users per e-mail."""
    verifier = await get_token_verifier(request)
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    bearer = credentials.strip() if scheme.lower() == "bearer" else None
    caller: ApiClient | DataUser
    if for_clients:
        caller = verifier.api_client(bearer=bearer)
        key = f"client:{caller.client_id}"
    else:
        caller = verifier.purchase_user(bearer=bearer)
        key = f"user:{caller.email.lower()}"
    request.state.capi_caller = caller
    limiter = await get_rate_limiter(request)
    decision = await limiter.hit(key)
    request.state.rate_limit = decision
    if not decision.allowed:
        raise RateLimited(f"Rate limit exceeded; try again in {decision.reset_seconds} s.")


async def get_api_client(
    request: Request, _bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_client_bearer)]
) -> ApiClient:
    """The client CapiRoute identified (the bearer parameter documents the security scheme)."""
    caller = request.state.capi_caller
    assert isinstance(caller, ApiClient)
    return caller


async def get_customer_user(
    request: Request, _bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_customer_bearer)]
) -> DataUser:
    """The user CapiRoute identified."""
    caller = request.state.capi_caller
    assert isinstance(caller, DataUser)
    return caller


ApiClientDep = Annotated[ApiClient, Depends(get_api_client)]
CustomerUserDep = Annotated[DataUser, Depends(get_customer_user)]


def _documented(description: str, model: type[BaseModel] = CapiError) -> dict[str, Any]:
    return {"model": model, "description": description}


RATE_HEADERS = {
    "X-RateLimit-Remaining": {"description": "Calls left before a 429.", "schema": {"type": "integer"}},
    "X-RateLimit-Reset": {"description": "Seconds until the limit resets.", "schema": {"type": "integer"}},
}
ERRORS: dict[int | str, dict[str, Any]] = {
    200: {"description": "OK", "headers": RATE_HEADERS},
    400: _documented("The request is not valid; `errorMessage` names the field."),
    401: _documented("No valid access token (`invalid_token`).", OAuthErrorBody),
    429: _documented("Too many calls: 100 per second, 2000 per minute per caller."),
    500: _documented("An internal error occurred."),
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: _documented("No such order of this client.")}
NOT_A_USER: dict[int | str, dict[str, Any]] = {
    403: _documented("The token names no user (`insufficient_scope`).", OAuthErrorBody)
}
