"""The database as the work queue: claiming due orders and due notifications in batches.

A claim moves rows into a working status (`Processing`, `Sending`) with a lease: `due_at` becomes the
moment the lease runs out and `lease_token` names the claim. A worker that dies leaves its rows to be
claimed again once the lease has run out; a worker that outlived its lease finds its token replaced
and its late results refused. Each claim also names the worker process that made it (`claimed_by`):
when that worker's heartbeat goes silent, `release_claims_of` ends its leases at once (see
core.heartbeat), so the others take its rows over within seconds. On PostgreSQL claims skip rows
other workers have locked, so any number of workers share the queue; SQLite has one writer at a time
and needs nothing more.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    FromClause,
    Integer,
    ScalarSelect,
    Select,
    Subquery,
    Update,
    Uuid,
    and_,
    bindparam,
    case,
    func,
    literal,
    select,
    text,
    true,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.core.db import UTCDateTime, bulk_insert, insert_for, on_commit
from orderdesk.core.offload import off_loop_if_large
from orderdesk.notifications.models import (
    Channel,
    ClaimedNotification,
    ClaimedOrder,
    OrderProcessingStatus,
    OrderType,
    SendingTimePolicy,
    Templates,
)
from orderdesk.notifications.repository import status_feed
from orderdesk.notifications.repository.orders import (
    email_template_from_json,
    order_from_row,
    sms_template_from_json,
)
from orderdesk.notifications.repository.transitions import TABLES
from orderdesk.notifications.repository.webhook_events import (
    NotificationStatusChange,
    OrderStatusChange,
    StatusChange,
    record_status_changes,
)
from orderdesk.notifications.rules.expansion import NewNotification
from orderdesk.notifications.tables import PENDING, notification_order, provider_pause
from orderdesk.observability import metrics

_REGISTERED = OrderProcessingStatus.REGISTERED.value
_PROCESSING = OrderProcessingStatus.PROCESSING.value


async def claim_due_orders(
    connection: AsyncConnection,
    *,
    now: datetime,
    limit: int,
    lease: timedelta,
    worker: UUID | None = None,
    per_creator: int | None = None,
    creator_room: Mapping[str, int] | None = None,
) -> list[ClaimedOrder]:
    """Registered orders whose time has come, and Processing orders whose worker's lease ran out.

    With `per_creator`, no creator gets more than that many in this claim, nor more than its
    `creator_room` (what it may still add to the orders this worker already works on): one
    organisation's many due orders, each waiting on a slow send condition, cannot take every place
    and hold back everybody else's."""
    token = uuid.uuid4()
    statement, values = order_claim(
        connection.dialect.name,
        now=now,
        limit=limit,
        lease=lease,
        token=token,
        worker=worker,
        per_creator=per_creator,
        creator_room=creator_room,
    )
    result = await connection.execute(statement, values)
    rows = sorted(result, key=lambda row: row.due_at)
    await record_status_changes(
        connection,
        [
            OrderStatusChange(row.id, OrderProcessingStatus.REGISTERED, OrderProcessingStatus.PROCESSING)
            for row in rows
            if row.status_changed_at == now
        ],
        now=now,
        creators={row.creator for row in rows},
    )
    return [
        ClaimedOrder(order_from_row(row), token, row.condition_checks, row.processing_attempts, now + lease)
        for row in rows
    ]


def order_claim(
    dialect: str,
    *,
    now: datetime,
    limit: int,
    lease: timedelta,
    token: UUID,
    worker: UUID | None = None,
    per_creator: int | None = None,
    creator_room: Mapping[str, int] | None = None,
) -> tuple[Update, dict[str, Any]]:
    """The one statement of `claim_due_orders` (which orders it takes, what it writes to them) and
    the values to run it with."""
    held = sorted((creator_room or {}).items())
    values: dict[str, Any] = {
        "now": now,
        "limit": limit,
        "lease_ends": now + lease,
        "token": token,
        "worker": worker,
        "per_creator": per_creator,
    }
    for index, (creator, room) in enumerate(held):
        values |= {f"held_creator_{index}": creator, f"held_room_{index}": room}
    return _order_claim_statement(dialect, per_creator is not None, len(held)), values


@functools.cache
def _order_claim_statement(dialect: str, fair: bool, held: int) -> Update:
    """Built once for each shape, its values bound when run: building the fair share's statement
    took a sixth of a busy worker's time (py-spy), as often as orders end and make room."""
    order = notification_order.c
    now = bindparam("now", type_=UTCDateTime)
    limit = bindparam("limit", type_=Integer)
    if fair:
        due = _fair_share(dialect, now, limit, held)
    else:
        due = select(order.id).where(_is_due(notification_order, now)).order_by(order.due_at).limit(limit)
        due = due.with_for_update(skip_locked=True)
    return (
        update(notification_order)
        .where(order.id.in_(due.scalar_subquery()))
        .values(
            processing_status=_PROCESSING,
            # An order taken over from a worker whose lease ran out was Processing already: its
            # status did not change. So the row returned tells which orders the claim moved (its
            # earlier claim cannot have been made at this very instant: a lease or a worker's
            # silence lies between).
            status_changed_at=case(
                (order.processing_status == _PROCESSING, order.status_changed_at), else_=now
            ),
            due_at=bindparam("lease_ends", type_=UTCDateTime),
            lease_token=bindparam("token", type_=Uuid),
            claimed_by=bindparam("worker", type_=Uuid),
        )
        .returning(*notification_order.c)
    )


def _fair_share(
    dialect: str, now: BindParameter[datetime], limit: BindParameter[int], held: int
) -> Select[tuple[UUID]]:
    """The `limit` earliest due orders, no creator's more than its share: each creator's earliest
    `per_creator` due are read from the pending index (one short range a creator, however far behind
    the workers are), each creator is held to its room (`held_creator_N` to `held_room_N`, the others
    to `per_creator`), and the earliest of what is left are locked.

    The creators with pending orders are found by a walk along the same index (each step the next
    creator after the one before), so the cost grows with the number of creators, not of orders."""
    per_creator = bindparam("per_creator", type_=Integer)
    # SQLite, which keeps no statistics here, would rather read the status index (an equality) and
    # sort; told that nearly every row passes the condition, it walks the pending index in order.
    pending = func.likely(text(PENDING)) if dialect == "sqlite" else text(PENDING)
    walked = notification_order.alias("walked")
    first = select(walked.c.creator).where(pending).order_by(walked.c.creator).limit(1)
    creators = select(first.scalar_subquery().label("creator")).cte("creators", recursive=True)
    following = (
        select(walked.c.creator)
        .where(pending, walked.c.creator > creators.c.creator)
        .order_by(walked.c.creator)
        .limit(1)
        .scalar_subquery()
    )
    creators = creators.union_all(select(following).where(creators.c.creator.is_not(None)))
    candidate = notification_order.alias("candidate")
    earliest = (
        select(candidate.c.id, candidate.c.due_at)
        .where(candidate.c.creator == creators.c.creator, pending, candidate.c.due_at <= now)
        .order_by(candidate.c.due_at)
        .limit(per_creator)
    )
    picked: FromClause
    joined: ColumnElement[bool]
    if dialect == "postgresql":
        picked = earliest.lateral("picked")
        joined = true()
    else:  # SQLite has no LATERAL; a correlated IN is its equivalent
        picked = notification_order.alias("picked")
        joined = picked.c.id.in_(earliest.with_only_columns(candidate.c.id))
    candidates = select(creators.c.creator, picked.c.id, picked.c.due_at).select_from(
        creators.join(picked, joined)
    )
    shares = candidates.subquery("shares")
    fair = select(shares.c.id, shares.c.due_at)
    if held:
        rooms = [
            (
                shares.c.creator == bindparam(f"held_creator_{index}"),
                bindparam(f"held_room_{index}", type_=Integer),
            )
            for index in range(held)
        ]
        ranked = select(
            shares.c.id,
            shares.c.due_at,
            func.row_number().over(partition_by=shares.c.creator, order_by=shares.c.due_at).label("rank"),
            case(*rooms, else_=per_creator).label("room"),
        ).subquery("ranked")
        fair = select(ranked.c.id, ranked.c.due_at).where(ranked.c.rank <= ranked.c.room)
    if dialect != "postgresql":  # one writer at a time: nothing is locked, nothing to skip
        due_at, order_id = fair.selected_columns.due_at, fair.selected_columns.id
        return fair.order_by(due_at).limit(limit).with_only_columns(order_id)
    # Locked one by one in due order until `limit` are held: an order another worker's claim holds is
    # skipped and the next one taken. Each is locked by its key alone: with statistics that think no
    # order is due, a due condition beside the key would have the planner search the pending index
    # for it (the LIMIT keeps the due condition below from being pushed down there). The lock returns
    # the order as it is now, so one that a claim took and committed meanwhile is no longer due, and
    # is not taken twice.
    chosen = fair.order_by(fair.selected_columns.due_at).subquery("chosen")
    claimed = notification_order.alias("claimed")
    locked = (
        select(claimed.c.id, claimed.c.processing_status, claimed.c.due_at)
        .where(claimed.c.id == chosen.c.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .lateral("locked")
    )
    return (
        select(locked.c.id)
        .select_from(chosen.join(locked, true()))
        .where(_is_due(locked, now))
        .order_by(chosen.c.due_at)
        .limit(limit)
    )


def _is_due(table: FromClause, now: BindParameter[datetime]) -> ColumnElement[bool]:
    # Two bound values, not an expanding IN: the statement compiles whole (its plan is tested so).
    statuses = (literal(_REGISTERED), literal(_PROCESSING))
    return and_(table.c.processing_status.in_(statuses), table.c.due_at <= now)


async def next_order_due(connection: AsyncConnection) -> datetime | None:
    """When the scheduler next has something to do, so that it can sleep until then.

    The earliest of each status on its own: each is then the first entry of the status index, where
    one minimum over both statuses read every pending order (23 ms at 35,000, orders scheduled for
    later among them), each time the scheduler found nothing to claim."""
    order = notification_order.c

    def earliest(status: str) -> ScalarSelect[datetime | None]:
        return select(func.min(order.due_at)).where(order.processing_status == status).scalar_subquery()

    row = (await connection.execute(select(earliest(_REGISTERED), earliest(_PROCESSING)))).one()
    due = [moment for moment in row if moment is not None]
    return min(due) if due else None


async def postpone_order(
    connection: AsyncConnection, claim: ClaimedOrder, *, now: datetime, until: datetime
) -> bool:
    """Hand the order back as Registered, to be picked up again at `until` (send condition retry)."""
    return await _release(
        connection,
        claim,
        OrderProcessingStatus.REGISTERED,
        now=now,
        due_at=until,
        condition_checks=claim.condition_checks + 1,
    )


async def retry_order(
    connection: AsyncConnection, claim: ClaimedOrder, *, now: datetime, until: datetime
) -> bool:
    """Hand the order back as Registered after processing failed, to be tried again at `until`."""
    return await _release(
        connection,
        claim,
        OrderProcessingStatus.REGISTERED,
        now=now,
        due_at=until,
        processing_attempts=claim.processing_attempts + 1,
    )


async def release_order(connection: AsyncConnection, claim: ClaimedOrder, *, now: datetime) -> bool:
    """Hand the order back as Registered, due at once, its counters as they were (a stopping worker)."""
    return await _release(connection, claim, OrderProcessingStatus.REGISTERED, now=now, due_at=now)


async def stop_order(
    connection: AsyncConnection, claim: ClaimedOrder, status: OrderProcessingStatus, *, now: datetime
) -> bool:
    """End the claimed order in `status` (SendConditionNotMet gets its status feed entry with it);
    False, and nothing written, when the claim was lost."""
    if not await _release(connection, claim, status, now=now, due_at=now):
        return False
    await status_feed.record_final_orders(connection, [claim.order.id], now)
    return True


async def store_expansion(
    connection: AsyncConnection,
    claim: ClaimedOrder,
    notifications: Sequence[NewNotification],
    *,
    now: datetime,
) -> bool:
    """Store the order's notifications and move it on, in the caller's transaction.

    False (and nothing written) when the claim was lost; the caller then rolls back.
    """
    emails = [n for n in notifications if n.channel is Channel.EMAIL]
    sms = [n for n in notifications if n.channel is Channel.SMS]
    counters: dict[str, int] = {}
    for channel, items in ((Channel.EMAIL, emails), (Channel.SMS, sms)):
        finished = sum(1 for n in items if n.status.is_final)
        counters[f"{channel}_generated"] = len(items)
        counters[f"{channel}_failed"] = finished  # only failures are final at birth
        counters[f"{channel}_finished"] = finished
    all_final = all(n.status.is_final for n in notifications)
    status = OrderProcessingStatus.COMPLETED if all_final else OrderProcessingStatus.PROCESSED
    # Notifications born final (recipient reserved, or not found) have a status from the start: an
    # event each, with no old status, before the order's own.
    born_final = [n for n in notifications if n.status.is_final]
    born_events: list[StatusChange] = [
        NotificationStatusChange(n.id, claim.order.id, n.channel, None, n.status) for n in born_final
    ]
    if not await _release(
        connection,
        claim,
        status,
        now=now,
        due_at=now,
        events_before=born_events,
        addresses={n.id: n.address for n in born_final},
        **counters,
    ):
        return False
    # The rows of a large order are built off the loop, which the API shares with in-process workers.
    email_rows = await off_loop_if_large(len(emails), lambda: [_email_row(claim, n, now) for n in emails])
    sms_rows = await off_loop_if_large(len(sms), lambda: [_sms_row(claim, n, now) for n in sms])
    await bulk_insert(connection, TABLES[Channel.EMAIL], email_rows)
    await bulk_insert(connection, TABLES[Channel.SMS], sms_rows)
    if all_final:  # completed at birth (every recipient reserved or unknown): its feed entry now
        await status_feed.record_final_orders(connection, [claim.order.id], now)
    born = [(n.channel.value, n.status.value) for n in notifications]
    on_commit(connection, lambda: metrics.notifications_born(born))
    return True


async def _release(
    connection: AsyncConnection,
    claim: ClaimedOrder,
    status: OrderProcessingStatus,
    *,
    now: datetime,
    events_before: Sequence[StatusChange] = (),
    addresses: Mapping[UUID, str | None] | None = None,
    **values: Any,
) -> bool:
    """Move the claimed order from Processing to `status` and end the claim, with the webhook events
    of the change (after `events_before`); False, writing nothing, when the claim was lost."""
    order = notification_order.c
    result = await connection.execute(
        update(notification_order)
        .where(
            and_(
                order.id == claim.order.id,
                order.lease_token == claim.lease_token,
                order.processing_status == _PROCESSING,
            )
        )
        .values(lease_token=None, processing_status=status.value, status_changed_at=now, **values)
    )
    if result.rowcount != 1:
        return False
    await record_status_changes(
        connection,
        [*events_before, OrderStatusChange(claim.order.id, OrderProcessingStatus.PROCESSING, status)],
        now=now,
        creators=[claim.order.creator],
        addresses=addresses,
    )
    return True


def _common_row(claim: ClaimedOrder, notification: NewNotification, now: datetime) -> dict[str, Any]:
    return {
        "id": notification.id,
        "notification_order_id": claim.order.id,
        "recipient_organization_number": notification.organization_number,
        "recipient_national_identity_number": notification.national_identity_number,
        "customized_body": notification.customized_body,
        "status": notification.status.value,
        "status_changed_at": now,
        "expires_at": notification.expires_at,
        "due_at": now,
        "attempts": 0,
    }


def _email_row(claim: ClaimedOrder, notification: NewNotification, now: datetime) -> dict[str, Any]:
    return {
        **_common_row(claim, notification, now),
        "to_address": notification.address,
        "customized_subject": notification.customized_subject,
        "composed": claim.order.order_type is OrderType.COMPOSED,
    }


def _sms_row(claim: ClaimedOrder, notification: NewNotification, now: datetime) -> dict[str, Any]:
    return {
        **_common_row(claim, notification, now),
        "mobile_number": notification.address,
        "anytime": claim.order.sending_time_policy is SendingTimePolicy.ANYTIME,
    }


async def claim_notifications(
    connection: AsyncConnection,
    channel: Channel,
    *,
    now: datetime,
    limit: int,
    lease: timedelta,
    worker: UUID | None = None,
    anytime_only: bool = False,
    composed: bool | None = None,
) -> tuple[UUID, list[ClaimedNotification]]:
    """New notifications that are due and unexpired, and Sending ones whose lease ran out.

    `anytime_only` (SMS): only those whose order may send them outside the daytime window.
    `composed` (e-mail): True claims only the notifications of composed orders, False only the others;
    each has its own dispatch lane, so that slow attachment downloads hold back no other e-mail."""
    new, sending = channel.new, channel.sending
    token = uuid.uuid4()
    statement, values = notification_claim(
        channel,
        now=now,
        limit=limit,
        lease=lease,
        token=token,
        worker=worker,
        anytime_only=anytime_only,
        composed=composed,
    )
    result = await connection.execute(statement, values)
    rows = list(result)
    moved = [row for row in rows if row.status_changed_at == now]
    if moved:
        await record_status_changes(
            connection,
            [
                NotificationStatusChange(row.id, row.notification_order_id, channel, new, sending)
                for row in moved
            ],
            now=now,
            addresses={row.id: row[2] for row in moved},
        )
    claimed = [
        ClaimedNotification(
            id=row.id,
            order_id=row.notification_order_id,
            address=row[2],
            customized_subject=row.customized_subject if channel is Channel.EMAIL else None,
            customized_body=row.customized_body,
            attempts=row.attempts,
            expires_at=row.expires_at,
        )
        for row in rows
    ]
    return token, claimed


def notification_claim(
    channel: Channel,
    *,
    now: datetime,
    limit: int,
    lease: timedelta,
    token: UUID,
    worker: UUID | None = None,
    anytime_only: bool = False,
    composed: bool | None = None,
) -> tuple[Update, dict[str, Any]]:
    """The one statement of `claim_notifications` (which notifications it takes, what it writes) and
    the values to run it with."""
    values = {"now": now, "limit": limit, "lease_ends": now + lease, "token": token, "worker": worker}
    return _notification_claim_statement(channel, anytime_only, composed), values


@functools.cache
def _notification_claim_statement(channel: Channel, anytime_only: bool, composed: bool | None) -> Update:
    """Built once for each lane, its values bound when run (as the order claim's)."""
    table = TABLES[channel]
    new, sending = channel.new, channel.sending
    now = bindparam("now", type_=UTCDateTime)
    limit = bindparam("limit", type_=Integer)
    conditions = [table.c.due_at <= now, table.c.expires_at >= now]
    if anytime_only:
        conditions.append(table.c.anytime.is_(True))
    if composed is not None:
        # As the partial index of composed e-mails states it, so that both databases use it.
        conditions.append(table.c.composed if composed else ~table.c.composed)

    def earliest(status: str) -> Subquery:
        # One status at a time: the status index then hands its due rows over in due order, locked
        # as they are read until `limit` are held, however many are due (both statuses in one read
        # had every due row sorted, each claim, so a large order's claims grew with its backlog).
        return (
            select(table.c.id, table.c.due_at)
            .where(table.c.status == status, *conditions)
            .order_by(table.c.due_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .subquery()
        )

    # Sending ones are those a worker's lease ran out on: rarely any, and at most `limit` locked
    # without being taken.
    lapsed, waiting = earliest(sending.value), earliest(new.value)
    both = union_all(select(lapsed.c.id, lapsed.c.due_at), select(waiting.c.id, waiting.c.due_at)).subquery()
    due = select(both.c.id).order_by(both.c.due_at).limit(limit)
    address = table.c.to_address if channel is Channel.EMAIL else table.c.mobile_number
    subject = table.c.customized_subject if channel is Channel.EMAIL else None
    return (
        update(table)
        .where(table.c.id.in_(due.scalar_subquery()))
        .values(
            status=sending.value,
            # One taken over from a worker whose lease ran out was Sending already: no change of
            # status, so the row returned tells which notifications the claim moved (as above).
            status_changed_at=case((table.c.status == sending.value, table.c.status_changed_at), else_=now),
            due_at=bindparam("lease_ends", type_=UTCDateTime),
            lease_token=bindparam("token", type_=Uuid),
            claimed_by=bindparam("worker", type_=Uuid),
            attempts=table.c.attempts + 1,
        )
        .returning(
            table.c.id,
            table.c.notification_order_id,
            address,
            *([subject] if subject is not None else []),
            table.c.customized_body,
            table.c.attempts,
            table.c.expires_at,
            table.c.status_changed_at,
        )
    )


async def load_templates(connection: AsyncConnection, order_ids: Sequence[UUID]) -> dict[UUID, Templates]:
    """The templates of the orders behind a batch of claimed notifications."""
    if not order_ids:
        return {}
    order = notification_order.c
    result = await connection.execute(
        select(order.id, order.email_template, order.sms_template, order.requested_send_at).where(
            order.id.in_(sorted(set(order_ids)))
        )
    )
    return {
        row.id: Templates(
            email_template_from_json(row.email_template),
            sms_template_from_json(row.sms_template),
            row.requested_send_at,
        )
        for row in result
    }


async def paused_until(connection: AsyncConnection, provider: str, now: datetime) -> datetime | None:
    result = await connection.execute(
        select(provider_pause.c.paused_until).where(provider_pause.c.provider == provider)
    )
    until: datetime | None = result.scalar()
    return until if until is not None and until > now else None


async def pause_provider(connection: AsyncConnection, provider: str, until: datetime) -> None:
    """Every worker leaves the provider alone until `until` (it asked us to slow down); a longer
    pause another worker set at the same moment is kept."""
    latest = func.max if connection.dialect.name == "sqlite" else func.greatest
    statement = insert_for(connection, provider_pause).values(provider=provider, paused_until=until)
    await connection.execute(
        statement.on_conflict_do_update(
            index_elements=["provider"],
            set_={"paused_until": latest(provider_pause.c.paused_until, statement.excluded.paused_until)},
        )
    )


async def renew_notification_lease(
    connection: AsyncConnection, channel: Channel, token: UUID, until: datetime
) -> bool:
    """Keep the rows of a batch still being sent from being claimed by another worker; False when
    none is left (all recorded, or taken over)."""
    table = TABLES[channel]
    sending = channel.sending
    result = await connection.execute(
        update(table)
        .where(and_(table.c.lease_token == token, table.c.status == sending.value))
        .values(due_at=until)
    )
    return result.rowcount > 0


async def renew_order_lease(connection: AsyncConnection, claim: ClaimedOrder, until: datetime) -> bool:
    order = notification_order.c
    result = await connection.execute(
        update(notification_order)
        .where(
            and_(
                order.id == claim.order.id,
                order.lease_token == claim.lease_token,
                order.processing_status == _PROCESSING,
            )
        )
        .values(due_at=until)
    )
    return result.rowcount == 1


def order_ids(claimed: Sequence[ClaimedNotification]) -> list[UUID]:
    return sorted({item.order_id for item in claimed})


async def release_claims_of(connection: AsyncConnection, worker: UUID, now: datetime) -> int:
    """End, as of `now`, the leases of the orders and notifications a silent worker still holds: the
    next claim of a live worker takes them (with a new token, so the silent one's results are refused
    should it come back). A core.heartbeat Releaser."""
    order = notification_order.c
    released = await connection.execute(
        update(notification_order)
        .where(and_(order.claimed_by == worker, order.processing_status == _PROCESSING, order.due_at > now))
        .values(due_at=now)
    )
    count = released.rowcount
    for channel in Channel:
        table = TABLES[channel]
        released = await connection.execute(
            update(table)
            .where(
                and_(
                    table.c.claimed_by == worker,
                    table.c.status == channel.sending.value,
                    table.c.due_at > now,
                )
            )
            .values(due_at=now)
        )
        count += released.rowcount
    return count


DEPTH_COUNT_CAP = 100_000
"""A queue's depth is counted up to this many rows: a scrape every few seconds must not walk millions
of index entries, and past this the exact number changes no decision."""


@dataclass(frozen=True, slots=True)
class QueueState:
    """What waits in one queue: due rows (up to DEPTH_COUNT_CAP) and the oldest due time among them."""

    queue: str
    depth: int
    oldest_due_at: datetime | None


async def queue_states(
    connection: AsyncConnection, now: datetime, cap: int = DEPTH_COUNT_CAP
) -> list[QueueState]:
    """The due Registered orders and the due New e-mails and SMS, in one statement of six index range
    reads on (status, due_at): each count stops at `cap`, each minimum is the index's first entry."""
    queues = [
        (
            "notification-orders",
            notification_order.c.processing_status,
            _REGISTERED,
            notification_order.c.due_at,
        ),
        *(
            (channel.value, TABLES[channel].c.status, channel.new.value, TABLES[channel].c.due_at)
            for channel in Channel
        ),
    ]
    columns = []
    for name, status, waiting, due_at in queues:
        is_due = and_(status == waiting, due_at <= now)
        capped = select(literal(1).label("one")).where(is_due).limit(cap).subquery()
        columns.append(select(func.count()).select_from(capped).scalar_subquery().label(f"{name}_depth"))
        columns.append(select(func.min(due_at)).where(is_due).scalar_subquery().label(f"{name}_oldest"))
    row = (await connection.execute(select(*columns))).one()
    return [
        QueueState(name, row[2 * index], _aware(row[2 * index + 1]))
        for index, (name, *_rest) in enumerate(queues)
    ]


def _aware(value: datetime | str | None) -> datetime | None:
    """A minimum over a column comes back without the column's type on SQLite (text, naive)."""
    if value is None or (isinstance(value, datetime) and value.tzinfo is not None):
        return value
    parsed = datetime.fromisoformat(value) if isinstance(value, str) else value
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed
