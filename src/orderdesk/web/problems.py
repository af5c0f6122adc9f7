"""RFC 9457 problem details: any DomainError rendered by the status (and title) it declares, the
`type` URI and standard title coming from the status; no family is known here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from http import HTTPStatus
from typing import Any

import structlog
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from orderdesk.core.db import refused_connection
from orderdesk.core.errors import DatabaseUnavailable, DomainError, InvalidInput
from orderdesk.web.wire import BODY_NOT_JSON, field_errors

PROBLEM_MEDIA_TYPE = "application/problem+json"
_RFC9110 = "https://tools.ietf.org/html/rfc9110#section-"
_log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class ProblemType:
    status: int
    type: str
    title: str


BAD_REQUEST = ProblemType(400, _RFC9110 + "15.5.1", "One or more validation errors occurred.")
UNAUTHORIZED = ProblemType(401, _RFC9110 + "15.5.2", "Unauthorized")
FORBIDDEN = ProblemType(403, _RFC9110 + "15.5.4", "Forbidden")
NOT_FOUND = ProblemType(404, _RFC9110 + "15.5.5", "Not Found")
METHOD_NOT_ALLOWED = ProblemType(405, _RFC9110 + "15.5.6", "Method Not Allowed")
CONFLICT = ProblemType(409, _RFC9110 + "15.5.10", "Conflict")
CONTENT_TOO_LARGE = ProblemType(413, _RFC9110 + "15.5.14", "Content Too Large")
UNPROCESSABLE = ProblemType(422, _RFC9110 + "15.5.21", "Unprocessable Content")
UNSUPPORTED_MEDIA_TYPE = ProblemType(415, _RFC9110 + "15.5.16", "Unsupported Media Type")
SERVICE_UNAVAILABLE = ProblemType(503, _RFC9110 + "15.6.4", "Service Unavailable")
INTERNAL_ERROR = ProblemType(500, _RFC9110 + "15.6.1", "An error occurred while processing your request.")

_STANDARD = {
    problem.status: problem
    for problem in (
        BAD_REQUEST,
        UNAUTHORIZED,
        FORBIDDEN,
        NOT_FOUND,
        CONFLICT,
        UNPROCESSABLE,
        SERVICE_UNAVAILABLE,
        INTERNAL_ERROR,
    )
}
"""The problem types domain errors are answered with, by the status each error class declares."""

_BY_STATUS = {
    problem.status: problem
    for problem in (
        BAD_REQUEST,
        UNAUTHORIZED,
        FORBIDDEN,
        NOT_FOUND,
        METHOD_NOT_ALLOWED,
        CONFLICT,
        CONTENT_TOO_LARGE,
        UNSUPPORTED_MEDIA_TYPE,
    )
}


class ProblemDetails(BaseModel):
    """An RFC 9457 problem; `errors` names each offending field with its messages."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str | None = None
    trace_id: str = Field(alias="traceId")
    errors: dict[str, list[str]] | None = None
    code: str | None = Field(
        default=None, description="The error's code, where the API names one (`NOT-00001` …)."
    )


def problem_for(error_class: type[DomainError]) -> ProblemType:
    """The problem an error class declares: its status's type and title, or its own title."""
    status = int(error_class.status)
    problem = _STANDARD.get(status) or ProblemType(status, "about:blank", HTTPStatus(status).phrase)
    return problem if error_class.title is None else replace(problem, title=error_class.title)


def trace_id(request: Request) -> str:
    return str(getattr(request.state, "trace_id", ""))


def problem_response(
    request: Request,
    problem: ProblemType,
    *,
    detail: str | None = None,
    errors: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
    code: str | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {"type": problem.type, "title": problem.title, "status": problem.status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    if code:
        body["code"] = code
    body["traceId"] = trace_id(request)
    return JSONResponse(body, status_code=problem.status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


def openapi_responses(*errors: type[DomainError]) -> dict[int | str, dict[str, Any]]:
    """The `responses` entry of a route for the domain errors it may raise."""
    responses: dict[int | str, dict[str, Any]] = {}
    for error in errors:
        problem = problem_for(error)
        responses[problem.status] = {
            "model": ProblemDetails,
            "description": (error.__doc__ or problem.title).strip(),
            "content": {PROBLEM_MEDIA_TYPE: {}},
        }
    return responses


async def handle_domain_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, DomainError)
    problem = problem_for(type(error))
    errors = error.errors if isinstance(error, InvalidInput) else None
    detail = _errors_detail(errors) if errors else error.message
    headers = {"WWW-Authenticate": "Bearer"} if problem.status == 401 else retry_after(error)
    code = error.code if error.code_on_wire else None
    return problem_response(request, problem, detail=detail, errors=errors, headers=headers, code=code)


def retry_after(error: Exception) -> dict[str, str] | None:
    """`Retry-After` for an error that passes (the database or a provider out of reach), else None."""
    seconds = getattr(error, "retry_after_seconds", None)
    if isinstance(error, DomainError) and isinstance(seconds, int):
        return {"Retry-After": str(seconds)}
    return None


async def handle_validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = field_errors(error.errors())
    return problem_response(request, BAD_REQUEST, detail=_errors_detail(errors), errors=errors)


async def handle_http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    problem = _BY_STATUS.get(
        error.status_code, ProblemType(error.status_code, "about:blank", str(error.detail))
    )
    detail = str(error.detail) if error.detail and error.detail != problem.title else None
    headers = dict(error.headers) if error.headers else None
    errors = None
    if problem is BAD_REQUEST:
        # FastAPI's own 400: a body it could not parse (invalid UTF-8, nesting too deep, huge numbers).
        errors = {"$": [BODY_NOT_JSON]}
        detail = _errors_detail(errors)
    return problem_response(request, problem, detail=detail, errors=errors, headers=headers)


async def handle_unexpected_error(request: Request, error: Exception) -> JSONResponse:
    """Answer 500 without details; the log keeps the traceback under the same traceId. A database
    that went away mid-request is a 503 to retry, as one that refused the connection."""
    if refused_connection(error):
        _log.warning("database_unavailable", trace_id=trace_id(request), error=repr(error))
        return await handle_domain_error(request, DatabaseUnavailable())
    _log.error(
        "unhandled_error",
        trace_id=trace_id(request),
        method=request.method,
        path=request.url.path,
        exc_info=error,
    )
    return problem_response(request, INTERNAL_ERROR)


def _errors_detail(errors: dict[str, list[str]]) -> str:
    return "; ".join(f"{field}: {' '.join(messages)}" for field, messages in errors.items())


@dataclass(frozen=True, slots=True)
class CommonResponse:
    """A response any operation that `applies` to may give, whatever its route says: documented here
    once for all of them. The body is the family's error body (`error_body`)."""

    status: int
    description: str
    applies: Callable[[dict[str, Any]], bool]
    headers: dict[str, Any] = field(default_factory=dict)


def _always(_operation: dict[str, Any]) -> bool:
    return True


def _takes_input(operation: dict[str, Any]) -> bool:
    return bool(operation.get("parameters")) or "requestBody" in operation


def _takes_body(operation: dict[str, Any]) -> bool:
    return "requestBody" in operation


def _authenticated(operation: dict[str, Any]) -> bool:
    return any(requirement for requirement in operation.get("security", ()))


# Responses given by the app's middleware and handlers rather than by a route. A setting that adds
# one (a rate limit, a refused database connection) adds a line here, and every operation it
# concerns documents it.
COMMON_RESPONSES: list[CommonResponse] = [
    CommonResponse(400, "The request is not valid; the body names each offending field.", _takes_input),
    CommonResponse(401, "No valid credentials for this operation.", _authenticated),
    CommonResponse(403, "The credentials are valid but do not allow this operation.", _authenticated),
    CommonResponse(
        405,
        "The path does not take this method; `Allow` lists those it takes.",
        _always,
        headers={"Allow": {"description": "The methods of this path.", "schema": {"type": "string"}}},
    ),
    CommonResponse(413, "The request body is larger than the configured limit.", _takes_body),
]


def tidy_openapi(
    document: dict[str, Any], error_body: Callable[[str, int], dict[str, Any] | None] | None = None
) -> dict[str, Any]:
    """Make the OpenAPI document say what the handlers above do.

    FastAPI documents a 422 nobody returns (validation errors are 400 problems here; a route's own
    422 stays), and puts the
    problem schema under `application/json` next to an empty `application/problem+json`. Each
    operation documents the `COMMON_RESPONSES` that concern it, with the body `error_body(path, status)`
    gives (problem details unless said otherwise; None: the path never answers that status), unless
    its route documents that status itself.
    """
    schemas = document.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    problem = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}}
    for path, operations in document.get("paths", {}).items():
        for operation in operations.values():
            responses: dict[str, Any] = operation.setdefault("responses", {})
            if "HTTPValidationError" in str(responses.get("422")):
                responses.pop("422")
            for response in responses.values():
                content = response.get("content", {})
                if PROBLEM_MEDIA_TYPE in content:
                    content.pop("application/json", None)
                    content.update(problem)
            for common in COMMON_RESPONSES:
                if common.applies(operation) and str(common.status) not in responses:
                    content_of = error_body(path, common.status) if error_body is not None else problem
                    if content_of is None:
                        continue
                    response = {"description": common.description, "content": content_of}
                    if common.headers:
                        response["headers"] = common.headers
                    responses[str(common.status)] = response
    # The `webhooks` section and the operations' `callbacks` document what orderdesk posts, answered
    # by the receiver: none of our responses, and not FastAPI's 422 (its schema is gone, above).
    posted = [*document.get("webhooks", {}).values()]
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            for callback in operation.get("callbacks", {}).values():
                posted.extend(callback.values())
    for operations in posted:
        for operation in operations.values():
            responses = operation.get("responses", {})
            if "HTTPValidationError" in str(responses.get("422")):
                responses.pop("422")
    return document
