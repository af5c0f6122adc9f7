"""Liveness and readiness: the service answers and its database does too."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from orderdesk.core.db import ping
from orderdesk.core.errors import DatabaseUnavailable
from orderdesk.web.deps import DatabaseDep

router = APIRouter(tags=["Health"])


@router.get("/health", summary="Is the service up and its database reachable?")
async def get_health(database: DatabaseDep) -> JSONResponse:
    try:
        await ping(database)
    except Exception:
        return JSONResponse(
            {"status": "unavailable", "database": "unreachable"},
            status_code=503,
            headers={"Retry-After": str(DatabaseUnavailable.retry_after_seconds)},
        )
    return JSONResponse({"status": "ok", "database": database.dialect})
