"""Every SQL statement of the console: operators, sessions, failed sign-ins and the audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, func, insert, literal, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.console.errors import OperatorExists
from orderdesk.console.models import (
    AuditEntry,
    AuditFilter,
    Operator,
    OperatorId,
    OperatorLogin,
    Role,
    Session,
)
from orderdesk.console.tables import console_audit, console_operator, console_session, console_sign_in_failure
from orderdesk.core.db import UTCDateTime

_operator = console_operator.c
_OPERATOR_COLUMNS = (
    _operator.id,
    _operator.email,
    _operator.role,
    _operator.must_choose_password,
    _operator.created_at,
)


def _operator_of(row: Row[*tuple[Any, ...]]) -> Operator:
    return Operator(
        id=OperatorId(row.id),
        email=row.email,
        role=Role(row.role),
        must_choose_password=bool(row.must_choose_password),
        created_at=row.created_at,
    )


async def insert_operator(
    connection: AsyncConnection, email: str, role: Role, password_hash: str, now: datetime
) -> Operator:
    """OperatorExists when the address is taken. Run in a savepoint, so the caller's transaction
    survives the refusal."""
    statement = (
        insert(console_operator)
        .values(
            email=email,
            role=role.value,
            password_hash=password_hash,
            must_choose_password=True,
            created_at=now,
        )
        .returning(*_OPERATOR_COLUMNS)
    )
    try:
        async with connection.begin_nested():
            row = (await connection.execute(statement)).one()
    except IntegrityError as error:
        raise OperatorExists() from error
    return _operator_of(row)


async def get_operator_login(connection: AsyncConnection, email: str) -> OperatorLogin | None:
    row = (
        await connection.execute(
            select(*_OPERATOR_COLUMNS, _operator.password_hash).where(_operator.email == email)
        )
    ).first()
    return None if row is None else OperatorLogin(_operator_of(row), row.password_hash)


async def list_operators(connection: AsyncConnection) -> list[Operator]:
    rows = await connection.execute(select(*_OPERATOR_COLUMNS).order_by(_operator.email))
    return [_operator_of(row) for row in rows]


async def delete_operator(connection: AsyncConnection, email: str) -> Operator | None:
    """The removed operator, with their sessions; None when there was none."""
    row = (
        await connection.execute(
            delete(console_operator).where(_operator.email == email).returning(*_OPERATOR_COLUMNS)
        )
    ).first()
    if row is None:
        return None
    # SQLite enforces no foreign key unless asked to: the sessions go explicitly on both databases.
    await delete_sessions(connection, OperatorId(row.id))
    return _operator_of(row)


async def update_password(
    connection: AsyncConnection, operator_id: OperatorId, password_hash: str, *, must_choose: bool
) -> None:
    await connection.execute(
        update(console_operator)
        .where(_operator.id == operator_id)
        .values(password_hash=password_hash, must_choose_password=must_choose)
    )


async def insert_session(
    connection: AsyncConnection,
    token_hash: str,
    operator_id: OperatorId,
    csrf_token: str,
    now: datetime,
    expires_at: datetime,
) -> None:
    await connection.execute(
        insert(console_session).values(
            token_hash=token_hash,
            console_operator_id=operator_id,
            csrf_token=csrf_token,
            created_at=now,
            expires_at=expires_at,
        )
    )


async def get_session(connection: AsyncConnection, token_hash: str, now: datetime) -> Session | None:
    """The unexpired session with this token hash, with its operator; None otherwise."""
    session = console_session.c
    row = (
        await connection.execute(
            select(*_OPERATOR_COLUMNS, session.csrf_token, session.expires_at)
            .join_from(console_session, console_operator, session.console_operator_id == _operator.id)
            .where(session.token_hash == token_hash, session.expires_at > now)
        )
    ).first()
    return None if row is None else Session(_operator_of(row), row.csrf_token, row.expires_at)


async def delete_session(connection: AsyncConnection, token_hash: str) -> None:
    await connection.execute(delete(console_session).where(console_session.c.token_hash == token_hash))


async def delete_sessions(
    connection: AsyncConnection, operator_id: OperatorId, *, except_hash: str | None = None
) -> None:
    """End every session of the operator (but the one whose token hash is `except_hash`)."""
    statement = delete(console_session).where(console_session.c.console_operator_id == operator_id)
    if except_hash is not None:
        statement = statement.where(console_session.c.token_hash != except_hash)
    await connection.execute(statement)


async def delete_expired_sessions(connection: AsyncConnection, now: datetime) -> None:
    await connection.execute(delete(console_session).where(console_session.c.expires_at <= now))


async def count_failures(
    connection: AsyncConnection, email: str, address: str, since: datetime
) -> tuple[int, int]:
    """Failed sign-ins since `since`: of the account, and from the address."""
    failure = console_sign_in_failure.c
    recent = failure.failed_at > since
    by_account = select(func.count()).where(failure.email == email, recent).scalar_subquery()
    by_address = select(func.count()).where(failure.address == address, recent).scalar_subquery()
    row = (await connection.execute(select(by_account, by_address))).one()
    return int(row[0]), int(row[1])


async def insert_failure(
    connection: AsyncConnection, email: str, address: str, now: datetime, before: datetime
) -> None:
    """Record a failed sign-in, and forget those older than `before` (they count no more)."""
    failure = console_sign_in_failure.c
    await connection.execute(delete(console_sign_in_failure).where(failure.failed_at <= before))
    await connection.execute(
        insert(console_sign_in_failure).values(email=email, address=address, failed_at=now)
    )


async def insert_audit(
    connection: AsyncConnection,
    operator_email: str,
    at: datetime,
    action: str,
    target: tuple[str, str],
    detail: dict[str, object] | None,
) -> None:
    target_kind, target_id = target
    await connection.execute(
        insert(console_audit).values(
            operator_email=operator_email,
            at=at,
            action=action,
            target_kind=target_kind,
            target_id=target_id,
            detail=detail,
        )
    )


_audit = console_audit.c


async def list_audit(
    connection: AsyncConnection, wanted: AuditFilter, after: tuple[datetime, int] | None, limit: int
) -> list[AuditEntry]:
    """Up to `limit` entries, newest first (`at`, then `id`, descending), older than `after` when it is
    given. A page is a range of one index: the target's when one is named (a target has a handful of
    entries, so an operator named too is checked on them), else the operator's, else the whole
    trail's. The cursor is compared together with that index's leading columns, so the index bounds
    the whole key (compared alone, `(at, id)` would let the planner walk the trail's index through
    everyone else's entries)."""
    equal: dict[str, str] = {}
    if wanted.target is not None:
        equal["target_kind"], equal["target_id"] = wanted.target[0].value, wanted.target[1]
    if wanted.operator_email is not None:
        equal["operator_email"] = wanted.operator_email
    prefix = ["target_kind", "target_id"] if wanted.target else list(equal)
    key = [*(_audit[name] for name in prefix), _audit.at, _audit.id]
    statement = select(console_audit).where(*(_audit[name] == value for name, value in equal.items()))
    if after is not None:
        at, entry_id = after
        bounds = [*(literal(equal[name]) for name in prefix), literal(at, UTCDateTime), literal(entry_id)]
        statement = statement.where(tuple_(*key) < tuple_(*bounds))
    rows = await connection.execute(statement.order_by(*(column.desc() for column in key)).limit(limit))
    return [
        AuditEntry(
            id=row.id,
            operator_email=row.operator_email,
            at=row.at,
            action=row.action,
            target_kind=row.target_kind,
            target_id=row.target_id,
            detail=row.detail,
        )
        for row in rows
    ]
