"""FastAPI dependencies shared by the routers: the database, the clock, wake-ups, the calling
principal. `create_app` stores the objects they hand out once (`install`); only the dependency
functions here and in each family's `deps` module read them back (`part_of`), typed.

They are `async def` although none awaits: FastAPI runs a plain `def` dependency in a worker thread,
a thread hop per dependency and request that cost a status read about a quarter of its speed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import Depends, FastAPI, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from orderdesk.auth.principals import DataUser, ServiceOwner
from orderdesk.auth.tokens import COMPOSED_EMAIL_CREATE_SCOPE
from orderdesk.auth.verifier import TokenVerifier
from orderdesk.core.clock import Clock
from orderdesk.core.db import Database
from orderdesk.core.outbound import AddressPolicy
from orderdesk.core.wakeup import Wakeups
from orderdesk.web import security

T = TypeVar("T")

PLATFORM_TOKEN_HEADER = "PlatformAccessToken"

_SERVICE_OWNER_SCHEMES = {
    "HTTPBearer": security.bearer_scheme(
        "A JWT with the scope `altinn:serviceowner/notifications.create`, the claim "
        "`urn:altinn:org` naming the organisation and the audience `orderdesk:notifications` "
        "(`orderdesk token --org ORG`)."
    ),
    "APIKeyHeader": security.header_scheme(
        PLATFORM_TOKEN_HEADER,
        "A Platform Access Token of a platform issuer (claim `urn:altinn:app`), whose issuer is the "
        "organisation (`orderdesk token --platform --org ORG`).",
    ),
}

_SUPPORT_SCHEMES = {
    "SupportBearer": security.bearer_scheme(
        "A JWT with the scope `altinn:notifications.support.admin` and the audience "
        "`orderdesk:notifications` (`orderdesk token --org ORG --scope altinn:notifications.support.admin`)."
    ),
}

user_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="UserBearer",
    description="A JWT naming the user in the claim `email`, audience `orderdesk:rs-order` "
    "(`orderdesk token --user EMAIL`).",
)


@dataclass(frozen=True, slots=True)
class Shared:
    """What every family's routes may use, built once by `create_app`."""

    database: Database
    clock: Clock
    wakeups: Wakeups
    token_verifier: TokenVerifier
    outbound_policy: AddressPolicy
    links_base_url: str
    """The configured base of every absolute link (Settings.links_base_url), without a trailing slash."""


def install(app: FastAPI, *parts: object) -> None:
    """Store the objects the dependencies hand out, one per type (called once, by `create_app`)."""
    app.state.parts = {type(part): part for part in parts}


def part_of(request: Request, kind: type[T]) -> T:
    """The object of type `kind` that `create_app` installed; only dependency functions call this."""
    parts: dict[type[object], object] = request.app.state.parts
    part = parts[kind]
    if not isinstance(part, kind):  # pragma: no cover - install keys each part by its own type
        raise TypeError(f"{kind.__name__} expected, {type(part).__name__} installed")
    return part


async def get_database(request: Request) -> Database:
    return part_of(request, Shared).database


def public_base_url(request: Request) -> str:
    """The configured base of every absolute link this service writes, without a trailing slash.

    Never the request's `Host` or forwarded headers: a client (or anyone on a proxy's path) could
    otherwise point `Location` and metalink links, with their order tokens, at a host of its own."""
    return part_of(request, Shared).links_base_url


async def get_public_base_url(request: Request) -> str:
    return public_base_url(request)


async def get_outbound_policy(request: Request) -> AddressPolicy:
    """Where calls made for clients may go: URLs a client gives are checked against it at intake."""
    return part_of(request, Shared).outbound_policy


async def get_now(request: Request) -> datetime:
    return part_of(request, Shared).clock()


async def get_clock(request: Request) -> Clock:
    return part_of(request, Shared).clock


async def get_wakeups(request: Request) -> Wakeups:
    """Wakes this process's worker loops (and, on PostgreSQL, other processes' via the database)."""
    return part_of(request, Shared).wakeups


async def get_token_verifier(request: Request) -> TokenVerifier:
    return part_of(request, Shared).token_verifier


documents_service_owner = security.documents_security(_SERVICE_OWNER_SCHEMES)
"""The mark of a dependency that authenticates the caller by `service_owner` itself."""


def service_owner(request: Request) -> ServiceOwner:
    """401 without a valid token, 403 without the notifications scope or an organisation.

    The headers are read here, not by FastAPI's security classes (see orderdesk.web.security). For
    dependencies marked `documents_service_owner` that gather the owner with the app's parts: one
    dependency fewer for FastAPI to solve on the hottest routes."""
    verifier = part_of(request, Shared).token_verifier
    return verifier.service_owner(
        bearer=security.bearer_token(request),
        platform=security.header_value(request, PLATFORM_TOKEN_HEADER),
    )


@documents_service_owner
async def get_service_owner(request: Request) -> ServiceOwner:
    return service_owner(request)


@security.documents_security(_SUPPORT_SCHEMES)
async def get_support_admin(request: Request) -> dict[str, Any]:
    """401 without a valid bearer token, 403 without the support scope; the token's claims."""
    verifier = part_of(request, Shared).token_verifier
    return verifier.support_admin(bearer=security.bearer_token(request))


@security.documents_security({"HTTPBearer": _SERVICE_OWNER_SCHEMES["HTTPBearer"]})
async def get_composed_email_owner(request: Request) -> ServiceOwner:
    """The composed e-mail door: a bearer token with the composed e-mail scope (the create scope alone
    is 403); a Platform Access Token is not taken there, as the original takes none (401 without a
    bearer token)."""
    verifier = part_of(request, Shared).token_verifier
    return verifier.service_owner(
        bearer=security.bearer_token(request), platform=None, scope=COMPOSED_EMAIL_CREATE_SCOPE
    )


async def get_data_user(
    request: Request, bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(user_bearer)]
) -> DataUser:
    """401 without a valid token, 403 when it names no user."""
    verifier = part_of(request, Shared).token_verifier
    return verifier.data_user(bearer=bearer.credentials if bearer else None)


ClockDep = Annotated[Clock, Depends(get_clock)]
DatabaseDep = Annotated[Database, Depends(get_database)]
DataUserDep = Annotated[DataUser, Depends(get_data_user)]
NowDep = Annotated[datetime, Depends(get_now)]
OutboundPolicyDep = Annotated[AddressPolicy, Depends(get_outbound_policy)]
PublicBaseUrlDep = Annotated[str, Depends(get_public_base_url)]
ServiceOwnerDep = Annotated[ServiceOwner, Depends(get_service_owner)]
SupportAdminDep = Annotated[dict[str, Any], Depends(get_support_admin)]


ComposedEmailOwnerDep = Annotated[ServiceOwner, Depends(get_composed_email_owner)]
TokenVerifierDep = Annotated[TokenVerifier, Depends(get_token_verifier)]
WakeupsDep = Annotated[Wakeups, Depends(get_wakeups)]
