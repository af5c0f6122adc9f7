"""Counting what a request sends to the database server, for tests of how much a path costs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event

from orderdesk.core.db import Database


@asynccontextmanager
async def counting_statements(database: Database) -> AsyncIterator[list[str]]:
    """Every statement sent to the database server inside the block.

    SQLAlchemy's event sees what it runs; on PostgreSQL what the driver runs by itself (BEGIN,
    COMMIT, Database.fetch_one's reads) only asyncpg's query logger sees, so each connection
    checked out in the block, and each the driver lane holds, gets one. (asyncpg logs no prepared
    statement, which is how SQLAlchemy runs its own, so nothing is counted twice.) asyncpg hands a
    logged query to its loggers at the event loop's next turn, so the block's end waits for one
    before the count is read."""
    statements: list[str] = []
    logged: list[Any] = []

    def record(*args: Any) -> None:
        statements.append(str(args[2]))

    def log_queries(record: Any) -> None:
        statements.append(record.query)

    def on_checkout(dbapi_connection: Any, *_args: Any) -> None:
        driver = getattr(dbapi_connection, "driver_connection", None)
        if driver is not None and hasattr(driver, "add_query_logger"):
            driver.add_query_logger(log_queries)
            logged.append(driver)

    for engine in database.engines:
        event.listen(engine.sync_engine, "before_cursor_execute", record)
        event.listen(engine.sync_engine, "checkout", on_checkout)
    # The lane's connections were checked out once, maybe before the block.
    for driver in database.lane.idle_drivers() if database.lane is not None else []:
        driver.add_query_logger(log_queries)
        logged.append(driver)
    try:
        yield statements
        await asyncio.sleep(0)
    finally:
        for engine in database.engines:
            event.remove(engine.sync_engine, "before_cursor_execute", record)
            event.remove(engine.sync_engine, "checkout", on_checkout)
        for driver in logged:
            driver.remove_query_logger(log_queries)
