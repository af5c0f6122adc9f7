"""The last error of each provider, kept for the operator: one row per provider, replaced by a later
error only (two workers may write theirs in either order)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.core.db import insert_for
from orderdesk.notifications.models import ProviderError, ProviderErrorKind
from orderdesk.notifications.tables import provider_error

_error = provider_error.c


async def record_provider_error(connection: AsyncConnection, error: ProviderError) -> None:
    statement = insert_for(connection, provider_error).values(
        provider=error.provider, kind=error.kind.value, message=error.message, at=error.at
    )
    await connection.execute(
        statement.on_conflict_do_update(
            index_elements=["provider"],
            set_={
                "kind": statement.excluded.kind,
                "message": statement.excluded.message,
                "at": statement.excluded.at,
            },
            where=statement.excluded.at >= _error.at,
        )
    )


async def list_provider_errors(connection: AsyncConnection) -> list[ProviderError]:
    rows = await connection.execute(
        select(_error.provider, _error.kind, _error.message, _error.at).order_by(_error.provider)
    )
    return [ProviderError(row.provider, ProviderErrorKind(row.kind), row.message, row.at) for row in rows]
