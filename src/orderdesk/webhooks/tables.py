"""Tables of webhooks: subscriptions, the outbox of events to post (one row per event and
subscription), and the attempts made to post them."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    Uuid,
    text,
)

from orderdesk.core.db import UTCDateTime, metadata

_SEQ = BigInteger().with_variant(Integer, "sqlite")
"""A 64-bit sequence on PostgreSQL; SQLite's rowid (INTEGER PRIMARY KEY) on SQLite."""

ATTEMPT_FAILED = "status_code IS NULL OR status_code < 200 OR status_code >= 300"
"""An attempt that failed: no answer, or one that is not 2xx. Written with its constants inline, so
that both databases match a query's filter to the partial index below (a bound parameter would not)."""

webhook_subscription = Table(
    "webhook_subscription",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("owner_kind", String(16), nullable=False),
    Column("owner", String(320), nullable=False),
    Column("url", Text, nullable=False),
    Column("events", JSON, nullable=False),
    Column("description", Text, nullable=False),
    Column("secret", String(64), nullable=False),
    Column("previous_secret", String(64), nullable=True),
    Column("previous_secret_until", UTCDateTime, nullable=True),
    Column("secret_rotated_at", UTCDateTime, nullable=True),
    Column("state", String(16), nullable=False),
    Column("disabled_reason", Text, nullable=True),
    Column("disabled_at", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    # Delivery: the head of its outbox is posted no earlier than `next_attempt_at`, by the worker
    # holding the lease (`lease_token` until `lease_until`).
    Column("next_attempt_at", UTCDateTime, nullable=True),
    Column("lease_token", String(36), nullable=True),
    Column("lease_until", UTCDateTime, nullable=True),
    Column("consecutive_failures", Integer, nullable=False, server_default=text("0")),
    Column("failing_since", UTCDateTime, nullable=True),
    Index("ix_webhook_subscription_owner", "owner_kind", "owner", "created_at"),
)

webhook_event = Table(
    "webhook_event",
    metadata,
    Column("seq", _SEQ, primary_key=True, autoincrement=True),
    Column("message_id", String(40), nullable=False, unique=True),
    Column(
        "subscription_id",
        Uuid,
        ForeignKey("webhook_subscription.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("type", String(40), nullable=False),
    # The JSON posted, exactly: every attempt signs and sends the same bytes.
    Column("body", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("finished_at", UTCDateTime, nullable=True),
    # The next events of a subscription, in order: the delivery worker's only read of this table.
    Index(
        "ix_webhook_event_pending",
        "subscription_id",
        "seq",
        postgresql_where=text("state = 'pending'"),
        sqlite_where=text("state = 'pending'"),
    ),
    Index("ix_webhook_event_finished", "finished_at"),
)

webhook_attempt = Table(
    "webhook_attempt",
    metadata,
    Column("id", _SEQ, primary_key=True, autoincrement=True),
    Column(
        "subscription_id",
        Uuid,
        ForeignKey("webhook_subscription.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("event_seq", BigInteger, nullable=False),
    Column("message_id", String(40), nullable=False),
    Column("event_type", String(40), nullable=False),
    Column("attempted_at", UTCDateTime, nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("duration_ms", Integer, nullable=False),
    Column("response_excerpt", Text, nullable=True),
    Column("error", Text, nullable=True),
    # The deliveries list, newest first: a page is a range read below its cursor; the failed attempts
    # and one message's attempts have their own, so that a filter never scans a subscription's history.
    Index("ix_webhook_attempt_subscription", "subscription_id", "id"),
    Index(
        "ix_webhook_attempt_failed",
        "subscription_id",
        "id",
        postgresql_where=text(ATTEMPT_FAILED),
        sqlite_where=text(ATTEMPT_FAILED),
    ),
    Index("ix_webhook_attempt_message", "message_id", "id"),
    Index("ix_webhook_attempt_time", "attempted_at"),
)
