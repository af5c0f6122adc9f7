"""Liveness and readiness: the process answers (`/health/live`); it can do its work (`/health/ready`:
database reachable, migrations at head, workers alive when expected); `/health`, the database alone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from orderdesk.core import heartbeat
from orderdesk.core.clock import Clock
from orderdesk.core.db import Database, ping
from orderdesk.core.errors import DatabaseUnavailable
from orderdesk.migrations import runner
from orderdesk.web.deps import ClockDep, DatabaseDep, part_of
from orderdesk.web.log_context import OrderLoggedRoute

router = APIRouter(tags=["Health"], route_class=OrderLoggedRoute)

OK = "ok"


@dataclass(slots=True)
class Readiness:
    """Whether this server is ready only with workers alive, and whose heartbeat tells."""

    workers_expected: bool
    stale_after: timedelta
    own_workers: UUID | None = None
    """Set once this server's own workers have started: then their heartbeat is the one that counts;
    while None (and workers are expected), any worker process's does."""


async def get_readiness(request: Request) -> Readiness:
    return part_of(request, Readiness)


ReadinessDep = Annotated[Readiness, Depends(get_readiness)]

_READY_RESPONSES: dict[int | str, dict[str, Any]] = {
    503: {
        "description": "Not ready: `notReady` names each check that failed, `checks` says why.",
        "content": {
            "application/json": {
                "example": {
                    "status": "not ready",
                    "notReady": ["migrations"],
                    "checks": {"database": OK, "migrations": "at 0008, head is 0009", "workers": OK},
                }
            }
        },
    }
}


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


@router.get("/health/live", summary="Does the process answer? (no database call)")
async def get_liveness() -> JSONResponse:
    return JSONResponse({"status": "alive"})


@router.get(
    "/health/ready",
    summary="Can the service do its work: database, migrations at head, workers alive when expected?",
    responses=_READY_RESPONSES,
)
async def get_readiness_state(
    database: DatabaseDep, clock: ClockDep, readiness: ReadinessDep
) -> JSONResponse:
    checks = await _checks(database, clock, readiness)
    not_ready = [name for name, state in checks.items() if state not in (OK, "not expected")]
    if not_ready:
        return JSONResponse({"status": "not ready", "notReady": not_ready, "checks": checks}, status_code=503)
    return JSONResponse({"status": "ready", "checks": checks})


async def _checks(database: Database, clock: Clock, readiness: Readiness) -> dict[str, str]:
    try:
        await ping(database)
    except Exception:
        return {"database": "unreachable", "migrations": "unknown", "workers": "unknown"}
    checks = {"database": OK}
    try:
        current, head = await runner.current_revision(database), runner.head_revision()
        checks["migrations"] = OK if current == head else f"at {current or 'none'}, head is {head}"
    except Exception as error:
        checks["migrations"] = f"unknown ({type(error).__name__})"
    expected = readiness.workers_expected
    checks["workers"] = await _workers(database, clock, readiness) if expected else "not expected"
    return checks


async def _workers(database: Database, clock: Clock, readiness: Readiness) -> str:
    try:
        async with database.read() as connection:
            seen = await heartbeat.last_seen(connection, readiness.own_workers)
    except Exception as error:
        return f"unknown ({type(error).__name__})"
    if seen is None:
        return "no worker heartbeat"
    age = clock() - seen
    if age > readiness.stale_after:
        return f"last worker heartbeat {age.total_seconds():.0f} s ago"
    return OK
