"""The baseline of the HTTP benchmarks: the least FastAPI app answering the same two requests.

A status read is one asyncpg primary-key lookup of the same `notification_order` row orderdesk reads;
an intake is one INSERT into a table of the baseline's own (`baseline_order`, made by bench/http.py).
No authentication, no transaction block, no SQLAlchemy: the floor a FastAPI service on this machine
can reach. Served like orderdesk: `uvicorn --factory bench.baseline_app:create_app --workers N`.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

DSN_VARIABLE = "BENCH_BASELINE_DSN"
"""A plain `postgresql://` DSN (asyncpg's form) of the benchmark's database."""
TABLE = "baseline_order"
CREATE_TABLE = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    id uuid PRIMARY KEY,
    senders_reference text,
    body jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
)
"""
POOL_SIZE = 20
"""More than wrk's 16 connections need, so a request never waits for one. orderdesk's default pool is
10 per process (ORDERDESK_DATABASE_POOL_SIZE), of which 4 serve these requests (its driver lane)."""

_STATUS = """
SELECT id, creator, senders_reference, processing_status, status_changed_at,
       email_generated, email_succeeded
FROM notification_order WHERE id = $1
"""
_INSERT = f"INSERT INTO {TABLE} (id, senders_reference, body) VALUES ($1, $2, $3)"


def _pool(request: Request) -> asyncpg.Pool:
    pool: asyncpg.Pool = request.app.state.pool
    return pool


def create_app() -> FastAPI:
    """The app, for `uvicorn --factory`; the DSN comes from the environment (BENCH_BASELINE_DSN)."""
    dsn = os.environ[DSN_VARIABLE]

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.pool = await asyncpg.create_pool(dsn, min_size=1, max_size=POOL_SIZE)
        try:
            yield
        finally:
            await app.state.pool.close()

    app = FastAPI(lifespan=lifespan)

    @app.get("/orders/{order_id}/status")
    async def get_status(order_id: uuid.UUID, request: Request) -> Response:
        row = await _pool(request).fetchrow(_STATUS, order_id)
        if row is None:
            return Response(status_code=404)
        return JSONResponse(
            {
                "id": str(row["id"]),
                "creator": row["creator"],
                "sendersReference": row["senders_reference"],
                "processingStatus": {
                    "status": row["processing_status"],
                    "lastUpdate": row["status_changed_at"].isoformat(),
                },
                "notificationsStatusSummary": {
                    "email": {"generated": row["email_generated"], "succeeded": row["email_succeeded"]}
                },
            }
        )

    @app.post("/orders/email", status_code=202)
    async def post_order(body: dict[str, Any], request: Request) -> JSONResponse:
        order_id = uuid.uuid4()
        await _pool(request).execute(_INSERT, order_id, body.get("sendersReference"), json.dumps(body))
        return JSONResponse({"orderId": str(order_id)}, status_code=202)

    return app
