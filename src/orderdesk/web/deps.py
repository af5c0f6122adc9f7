"""FastAPI dependencies shared by the routers: the database, the clock and the calling principal.

They are `async def` although none awaits: FastAPI runs a plain `def` dependency in a worker thread,
a thread hop per dependency and request that cost a status read about a quarter of its speed."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from orderdesk.auth.principals import DataUser, ServiceOwner
from orderdesk.auth.verifier import TokenVerifier
from orderdesk.core.db import Database

_bearer = HTTPBearer(
    auto_error=False,
    description="A JWT with the scope `altinn:serviceowner/notifications.create` and the claim "
    "`urn:altinn:org` naming the organisation (`orderdesk token --org ORG`).",
)
_platform = APIKeyHeader(
    name="PlatformAccessToken",
    auto_error=False,
    description="A Platform Access Token whose issuer is the organisation "
    "(`orderdesk token --platform --org ORG`).",
)


user_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="UserBearer",
    description="A JWT naming the user in the claim `email` (`orderdesk token --user EMAIL`).",
)


async def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


async def get_now(request: Request) -> datetime:
    now: datetime = request.app.state.clock()
    return now


async def get_service_owner(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    platform: Annotated[str | None, Depends(_platform)],
) -> ServiceOwner:
    """401 without a valid token, 403 without the notifications scope or an organisation."""
    verifier: TokenVerifier = request.app.state.token_verifier
    return verifier.service_owner(bearer=bearer.credentials if bearer else None, platform=platform)


async def get_data_user(
    request: Request, bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(user_bearer)]
) -> DataUser:
    """401 without a valid token, 403 when it names no user."""
    verifier: TokenVerifier = request.app.state.token_verifier
    return verifier.data_user(bearer=bearer.credentials if bearer else None)


DatabaseDep = Annotated[Database, Depends(get_database)]
DataUserDep = Annotated[DataUser, Depends(get_data_user)]
NowDep = Annotated[datetime, Depends(get_now)]
ServiceOwnerDep = Annotated[ServiceOwner, Depends(get_service_owner)]
