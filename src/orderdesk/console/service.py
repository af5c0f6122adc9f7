"""Use cases of the console: operators (added and looked after by the CLI), sign-in with its
throttle, sessions, choosing a password, the audit trail, and the overview of every family. Each takes
a connection and never commits."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast

from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.console import repository, rules
from orderdesk.console.errors import OperatorNotFound, SignInThrottled
from orderdesk.console.models import (
    CHART_SPAN,
    QUEUE_COUNT_CAP,
    STATUS_COUNT_CAP,
    THROTTLE_FAILURES,
    THROTTLE_WINDOW,
    WORKERS_SEEN_WITHIN,
    AuditEntry,
    AuditFilter,
    FamilyCounts,
    NewPassword,
    NewSession,
    Operator,
    Overview,
    Role,
    Session,
    StatusCount,
)
from orderdesk.console.paging import PAGE_SIZE, Page, decode_cursor, paged
from orderdesk.core import heartbeat
from orderdesk.core.errors import InvalidInput
from orderdesk.core.offload import off_loop
from orderdesk.dataorders.repository import counts as dataorder_counts
from orderdesk.notifications.repository import counts as notification_counts
from orderdesk.notifications.repository import provider_errors, queue, result_minutes
from orderdesk.purchases.repository import counts as purchase_counts


async def add_operator(connection: AsyncConnection, email: str, role: Role, now: datetime) -> NewPassword:
    """A new operator with a one-time password, to be replaced at their first sign-in. InvalidInput
    for a bad address; OperatorExists when it is taken."""
    address = rules.operator_email(email)
    password = rules.one_time_password()
    password_hash = await off_loop(rules.hash_password, password)
    operator = await repository.insert_operator(connection, address, role, password_hash, now)
    return NewPassword(operator, password)


async def list_operators(connection: AsyncConnection) -> list[Operator]:
    return await repository.list_operators(connection)


async def remove_operator(connection: AsyncConnection, email: str) -> Operator:
    """Remove the operator and end their sessions; OperatorNotFound when there is none."""
    removed = await repository.delete_operator(connection, rules.operator_email(email))
    if removed is None:
        raise OperatorNotFound()
    return removed


async def reset_password(connection: AsyncConnection, email: str) -> NewPassword:
    """A new one-time password: the operator's sessions end and they choose a password again at their
    next sign-in. OperatorNotFound when there is none."""
    login = await repository.get_operator_login(connection, rules.operator_email(email))
    if login is None:
        raise OperatorNotFound()
    password = rules.one_time_password()
    password_hash = await off_loop(rules.hash_password, password)
    await repository.update_password(connection, login.operator.id, password_hash, must_choose=True)
    await repository.delete_sessions(connection, login.operator.id)
    operator = await repository.get_operator_login(connection, login.operator.email)
    assert operator is not None  # updated in this transaction
    return NewPassword(operator.operator, password)


async def sign_in(
    connection: AsyncConnection,
    email: str,
    password: str,
    address: str,
    now: datetime,
    session_length: timedelta,
) -> NewSession | None:
    """A new session when the password is the operator's; None (the failure recorded, for the caller
    to commit) when the address or the password is wrong. SignInThrottled, whatever the password,
    while the account or the client address has THROTTLE_FAILURES failures within THROTTLE_WINDOW."""
    email = email.strip().lower()
    since = now - THROTTLE_WINDOW
    by_account, by_address = await repository.count_failures(connection, email, address, since)
    if by_account >= THROTTLE_FAILURES or by_address >= THROTTLE_FAILURES:
        raise SignInThrottled()
    login = await repository.get_operator_login(connection, email)
    matches = await off_loop(rules.password_matches, login.password_hash if login else None, password)
    if login is None or not matches:
        await repository.insert_failure(connection, email, address, now, before=since)
        return None
    token = rules.session_token()
    csrf = rules.csrf_token()
    expires_at = now + session_length
    await repository.delete_expired_sessions(connection, now)
    await repository.insert_session(
        connection, rules.token_hash(token), login.operator.id, csrf, now, expires_at
    )
    return NewSession(token, Session(login.operator, csrf, expires_at))


async def session_of(connection: AsyncConnection, token: str, now: datetime) -> Session | None:
    """The unexpired session of a cookie's token, or None."""
    return await repository.get_session(connection, rules.token_hash(token), now)


async def sign_out(connection: AsyncConnection, token: str) -> None:
    await repository.delete_session(connection, rules.token_hash(token))


async def choose_password(
    connection: AsyncConnection, token: str, session: Session, current: str, password: str, repeated: str
) -> None:
    """Set the signed-in operator's password; their other sessions end. The current password is asked
    for unless the operator must choose one (they have just signed in with a one-time password).
    InvalidInput naming the field that is wrong."""
    operator = session.operator
    if not operator.must_choose_password:
        login = await repository.get_operator_login(connection, operator.email)
        if not await off_loop(rules.password_matches, login.password_hash if login else None, current):
            raise InvalidInput({"current": ["The current password is wrong."]})
    rules.check_new_password(password, repeated)
    password_hash = await off_loop(rules.hash_password, password)
    await repository.update_password(connection, operator.id, password_hash, must_choose=False)
    await repository.delete_sessions(connection, operator.id, except_hash=rules.token_hash(token))


async def record_action(
    connection: AsyncConnection,
    session: Session,
    action: str,
    target: tuple[str, str],
    now: datetime,
    detail: dict[str, object] | None = None,
) -> None:
    """Write an admin action to the audit trail, in the transaction that takes it: an action that
    rolls back leaves no entry. `target` is the kind and the id of what it acted on."""
    await repository.insert_audit(connection, session.operator.email, now, action, target, detail)


async def audit_trail(
    connection: AsyncConnection, wanted: AuditFilter, cursor: str | None
) -> Page[AuditEntry]:
    """A page of the audit trail, newest first, after the entry `cursor` names. InvalidInput
    (`cursor`) for a cursor this console did not make."""
    after = cast("tuple[datetime, int] | None", decode_cursor(cursor, (datetime, int)))
    rows = await repository.list_audit(connection, wanted, after, PAGE_SIZE + 1)
    return paged(rows, PAGE_SIZE, lambda entry: (entry.at, entry.id))


async def overview(connection: AsyncConnection, now: datetime) -> Overview:
    """Everything the overview shows, each part a bounded index read whatever the installation's size:
    orders counted per status up to STATUS_COUNT_CAP, a day of per-minute counts, the queues' due rows
    up to QUEUE_COUNT_CAP on the claims' indexes, the workers seen lately, one row per provider."""
    families = [
        ("Notification orders", "/orders", notification_counts.count_orders_by_status),
        ("Data orders", "/data-orders", dataorder_counts.count_orders_by_status),
        ("Purchase orders", "/purchases", purchase_counts.count_orders_by_status),
    ]
    orders = []
    for family, path, count in families:
        tallies = await count(connection, STATUS_COUNT_CAP)
        statuses = [StatusCount(status, tally.count, tally.exact) for status, tally in tallies.items()]
        orders.append(FamilyCounts(family, path, statuses))
    since = now - CHART_SPAN
    return Overview(
        now=now,
        orders=orders,
        minutes=await result_minutes.list_minutes(connection, since),
        channels=await result_minutes.channel_totals(connection, since),
        queues=await queue.queue_states(connection, now, QUEUE_COUNT_CAP),
        workers=await heartbeat.list_workers_seen(connection, now - WORKERS_SEEN_WITHIN),
        provider_errors=await provider_errors.list_provider_errors(connection),
    )
