"""FastAPI dependencies shared by the routers: the database, the clock and the calling principal.

They are `async def` although none awaits: FastAPI runs a plain `def` dependency in a worker thread,
a thread hop per dependency and request that cost a status read about a quarter of its speed."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from orderdesk.auth.principals import DataUser, ServiceOwner
from orderdesk.auth.verifier import TokenVerifier
from orderdesk.core.db import Database
from orderdesk.core.outbound import AddressPolicy
from orderdesk.web import security

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


user_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="UserBearer",
    description="A JWT naming the user in the claim `email`, audience `orderdesk:rs-order` "
    "(`orderdesk token --user EMAIL`).",
)


async def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


def public_base_url(request: Request) -> str:
    """The configured base of every absolute link this service writes, without a trailing slash.

    Never the request's `Host` or forwarded headers: a client (or anyone on a proxy's path) could
    otherwise point `Location` and metalink links, with their order tokens, at a host of its own."""
    base: str = request.app.state.settings.links_base_url
    return base


async def get_outbound_policy(request: Request) -> AddressPolicy:
    """Where calls made for clients may go: URLs a client gives are checked against it at intake."""
    policy: AddressPolicy = request.app.state.outbound_policy
    return policy


async def get_now(request: Request) -> datetime:
    now: datetime = request.app.state.clock()
    return now


@security.documents_security(_SERVICE_OWNER_SCHEMES)
async def get_service_owner(request: Request) -> ServiceOwner:
    """401 without a valid token, 403 without the notifications scope or an organisation.

    The headers are read here, not by FastAPI's security classes (see orderdesk.web.security)."""
    verifier: TokenVerifier = request.app.state.token_verifier
    return verifier.service_owner(
        bearer=security.bearer_token(request),
        platform=security.header_value(request, PLATFORM_TOKEN_HEADER),
    )


async def get_data_user(
    request: Request, bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(user_bearer)]
) -> DataUser:
    """401 without a valid token, 403 when it names no user."""
    verifier: TokenVerifier = request.app.state.token_verifier
    return verifier.data_user(bearer=bearer.credentials if bearer else None)


DatabaseDep = Annotated[Database, Depends(get_database)]
DataUserDep = Annotated[DataUser, Depends(get_data_user)]
NowDep = Annotated[datetime, Depends(get_now)]
OutboundPolicyDep = Annotated[AddressPolicy, Depends(get_outbound_policy)]
ServiceOwnerDep = Annotated[ServiceOwner, Depends(get_service_owner)]
