"""The console's vocabulary: operators, their roles and sessions, the sign-in rules' numbers, and what
the overview shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import NewType

from orderdesk.core.heartbeat import WorkerSeen
from orderdesk.notifications.models import ChannelResults, MinuteResults, ProviderError
from orderdesk.notifications.repository.queue import QueueState

OperatorId = NewType("OperatorId", int)

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
"""Argon2 hashes any length; the cap only keeps a hostile form from costing memory."""
MAX_EMAIL_LENGTH = 320

THROTTLE_FAILURES = 5
"""Failed sign-ins an account, or a client address, may have within THROTTLE_WINDOW; past it every
sign-in of that account or from that address is refused until the oldest failure leaves the window."""
THROTTLE_WINDOW = timedelta(minutes=15)


class Role(StrEnum):
    VIEWER = "viewer"
    """Sees everything, changes nothing."""
    ADMIN = "admin"
    """Sees everything and takes the console's admin actions."""


@dataclass(frozen=True, slots=True)
class Operator:
    id: OperatorId
    email: str
    role: Role
    must_choose_password: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class OperatorLogin:
    """What checking a password needs: never leaves the service."""

    operator: Operator
    password_hash: str


@dataclass(frozen=True, slots=True)
class NewPassword:
    """A one-time password made for an operator (`operators add`, `reset-password`): shown once."""

    operator: Operator
    one_time_password: str


@dataclass(frozen=True, slots=True)
class Session:
    """A signed-in operator's session, found by the hash of its cookie's token."""

    operator: Operator
    csrf_token: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class NewSession:
    """A session just opened: the token goes into the cookie and is kept nowhere else."""

    token: str
    session: Session


class TargetKind(StrEnum):
    """What an admin action acted on: the first half of an audit entry's target."""

    NOTIFICATION_ORDER = "notification_order"
    DATA_ORDER = "data_order"
    PURCHASE_ORDER = "purchase_order"
    API_CLIENT = "api_client"


MAX_TARGET_ID_LENGTH = 200
"""As long as console_audit.target_id holds."""


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Which audit entries a page lists: an operator's, a target's (its kind and id), or both; None
    leaves that part open."""

    operator_email: str | None = None
    target: tuple[TargetKind, str] | None = None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One admin action taken in the console: who, when, what, on which order."""

    id: int
    operator_email: str
    at: datetime
    action: str
    target_kind: str
    target_id: str
    detail: dict[str, object] | None


CHART_SPAN = timedelta(hours=24)
"""The overview's chart of notifications sent and failed: one bar a minute over this span."""
WORKERS_SEEN_WITHIN = timedelta(minutes=1)
"""The overview lists the worker processes whose heartbeat came within this time."""
STATUS_COUNT_CAP = 1_000
"""Orders of one status are counted up to this many; past it PostgreSQL's estimate is shown, so that
the overview costs the same at a thousand orders and at millions."""
QUEUE_COUNT_CAP = 10_000
"""Due notifications are counted up to this many per queue (shown as "10,000 or more")."""


@dataclass(frozen=True, slots=True)
class StatusCount:
    status: str
    count: int
    exact: bool
    """False: past STATUS_COUNT_CAP, an estimate."""


@dataclass(frozen=True, slots=True)
class FamilyCounts:
    """One family's orders by status, for the overview: every status the family knows, in its order."""

    family: str
    path: str
    """The console page listing the family's orders."""
    counts: list[StatusCount]

    @property
    def total(self) -> int:
        return sum(count.count for count in self.counts)

    @property
    def exact(self) -> bool:
        return all(count.exact for count in self.counts)


@dataclass(frozen=True, slots=True)
class Overview:
    """What the overview shows, as of `now`."""

    now: datetime
    orders: list[FamilyCounts]
    minutes: list[MinuteResults]
    channels: list[ChannelResults]
    queues: list[QueueState]
    workers: list[WorkerSeen]
    provider_errors: list[ProviderError]
