"""Tables of the notification family: orders and the notifications generated from them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    false,
    text,
)

from orderdesk.core.db import UTCDateTime, metadata


def _channel_counters(channel: str) -> list[Column[int]]:
    return [
        Column(f"{channel}_{name}", Integer, nullable=False, server_default="0")
        for name in ("generated", "succeeded", "failed", "finished")
    ]


def _delivery_columns() -> list[Column[Any]]:
    """What the dispatch loops keep per notification: the claim, the attempts, the provider's view."""
    return [
        # New: when it may be (re)tried. Sending: when the lease of the worker sending it runs out.
        Column("due_at", UTCDateTime, nullable=False),
        Column("lease_token", Uuid, nullable=True),
        # The worker process (core.heartbeat) that claimed it last: if it goes silent, others take over.
        Column("claimed_by", Uuid, nullable=True),
        Column("attempts", Integer, nullable=False, server_default="0"),
        Column("provider_reference", String(200), nullable=True, unique=True),
        Column("last_error", Text, nullable=True),
        Column("delivery_report", JSON(none_as_null=True), nullable=True),
    ]


PENDING = "processing_status IN ('Registered', 'Processing')"
"""Orders the scheduler has still to claim (Registered) or may take over (Processing, once the lease
runs out). Repeated word for word by the claim, so that both databases see the partial index covers it
(and a prepared statement's plan, which knows no parameter values, can use it)."""

FAILED = "status LIKE 'Failed%'"
"""Every failure status of both channels begins with `Failed`. A query of failed notifications repeats
this condition word for word, so that both databases see that the partial index below covers it."""


def _failure_index(table: str) -> Index:
    """Failed notifications by status, newest first (the console's failures page): only failed ones
    are in it, so the sending pipeline writes to it once per failure and never otherwise."""
    return Index(
        f"ix_{table}_failed_status_changed_at",
        "status",
        "status_changed_at",
        "id",
        postgresql_where=text(FAILED),
        sqlite_where=text(FAILED),
    )


def _recipient_indexes(table: str, address: str) -> list[Index]:
    """Every notification to one person, organisation or address, across orders and creators (the
    support look-up), found without a scan."""
    return [
        Index(f"ix_{table}_recipient_national_identity_number", "recipient_national_identity_number"),
        Index(f"ix_{table}_recipient_organization_number", "recipient_organization_number"),
        Index(f"ix_{table}_{address}", address),
    ]


notification_order_chain = Table(
    "notification_order_chain",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("creator", String(100), nullable=False),
    # The idempotency namespace: chains, instant orders and composed e-mails each have their own.
    Column("kind", String(16), nullable=False),
    Column("idempotency_id", String(500), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    # The answer the chain was registered with: a repeated request gets it again, whatever its body.
    Column("receipt", JSON, nullable=False),
    Column("dialog_id", String(500), nullable=True),
    Column("transmission_id", String(500), nullable=True),
    UniqueConstraint("creator", "kind", "idempotency_id", name="uq_notification_order_chain_idempotency"),
    Index("ix_notification_order_chain_dialog_id", "dialog_id"),
    Index("ix_notification_order_chain_transmission_id", "transmission_id"),
)
"""Orders registered together under one idempotency id (the current API generation): a main
notification and its reminders, or one instant or composed order."""

notification_order = Table(
    "notification_order",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("creator", String(100), nullable=False),  # auth.verifier.MAX_ORG_LENGTH
    Column("senders_reference", String(500), nullable=True),
    Column("requested_send_at", UTCDateTime, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("notification_channel", String(16), nullable=False),
    Column("sending_time_policy", String(16), nullable=False),
    Column("ignore_reservation", Boolean, nullable=True),
    Column("resource_id", String(500), nullable=True),
    Column("resource_action", String(200), nullable=True),
    Column("condition_endpoint", Text, nullable=True),
    Column("recipients", JSON, nullable=False),
    # none_as_null: an order without a template gets SQL NULL, not the JSON value `null`.
    Column("email_template", JSON(none_as_null=True), nullable=True),
    Column("sms_template", JSON(none_as_null=True), nullable=True),
    Column("processing_status", String(32), nullable=False),
    Column("status_changed_at", UTCDateTime, nullable=False),
    # Registered: when the scheduler may pick the order up (the send time, later after an
    # inconclusive send condition). Processing: when the worker's lease on it runs out.
    Column("due_at", UTCDateTime, nullable=False),
    Column("lease_token", Uuid, nullable=True),
    Column("claimed_by", Uuid, nullable=True),  # the worker process that claimed it last
    Column("condition_checks", Integer, nullable=False, server_default="0"),
    Column("processing_attempts", Integer, nullable=False, server_default="0"),
    # Counters kept with the order so that a status read is one row, however many notifications.
    # `finished` counts notifications in a final status: the order is Completed when it reaches
    # `generated` on both channels.
    *_channel_counters("email"),
    *_channel_counters("sms"),
    # Notification (v1 and a chain's main order), Reminder, Instant or Composed.
    Column("order_type", String(16), nullable=False, server_default="Notification"),
    Column("chain_id", Uuid, ForeignKey("notification_order_chain.id", ondelete="CASCADE"), nullable=True),
    Index("ix_notification_order_creator_senders_reference", "creator", "senders_reference"),
    Index("ix_notification_order_chain_id", "chain_id"),
    Index("ix_notification_order_status_due_at", "processing_status", "due_at"),
    # The scheduler's fair claim: which creators have orders still to carry out, and each one's
    # earliest due, without reading the orders done or any creator's whole backlog.
    Index(
        "ix_notification_order_pending_creator_due_at",
        "creator",
        "due_at",
        postgresql_where=text(PENDING),
        sqlite_where=text(PENDING),
    ),
    Index("ix_notification_order_claimed_by", "claimed_by", "processing_status"),
    # The operator console lists every creator's orders newest first, or one creator's, one status's or
    # one sender's reference's, a page at a time: each read along one of these after its last
    # (created_at, id), never a sort of the whole table.
    Index("ix_notification_order_created_at", "created_at", "id"),
    Index("ix_notification_order_creator_created_at", "creator", "created_at", "id"),
    Index("ix_notification_order_status_created_at", "processing_status", "created_at", "id"),
    Index("ix_notification_order_senders_reference_created_at", "senders_reference", "created_at", "id"),
)

notification_email = Table(
    "notification_email",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column(
        "notification_order_id",
        Uuid,
        ForeignKey("notification_order.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("to_address", String(320), nullable=True),
    Column("recipient_organization_number", String(9), nullable=True),
    Column("recipient_national_identity_number", String(11), nullable=True),
    Column("customized_subject", Text, nullable=True),
    Column("customized_body", Text, nullable=True),
    Column("status", String(40), nullable=False),
    Column("status_changed_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    *_delivery_columns(),
    Column("attachment_bytes", BigInteger, nullable=True),  # composed e-mail: the attachments sent
    # Of a composed order: such e-mails have a dispatch lane of their own (attachment downloads).
    Column("composed", Boolean, nullable=False, server_default=false()),
    # With the id: an order's notifications a page at a time (the console's order page, 100 000 of them).
    Index("ix_notification_email_order_id", "notification_order_id", "id"),
    *_recipient_indexes("notification_email", "to_address"),
    Index("ix_notification_email_status_due_at", "status", "due_at"),
    Index("ix_notification_email_status_expires_at", "status", "expires_at"),
    Index("ix_notification_email_claimed_by", "claimed_by", "status"),
    _failure_index("notification_email"),
    # Only composed e-mails: their lane finds its due ones without reading past every other e-mail due,
    # and the e-mails of other orders (nearly all of them) cost this index nothing.
    Index(
        "ix_notification_email_composed_status_due_at",
        "status",
        "due_at",
        postgresql_where=text("composed"),
        sqlite_where=text("composed = 1"),
    ),
)

notification_sms = Table(
    "notification_sms",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column(
        "notification_order_id",
        Uuid,
        ForeignKey("notification_order.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("mobile_number", String(20), nullable=True),
    Column("recipient_organization_number", String(9), nullable=True),
    Column("recipient_national_identity_number", String(11), nullable=True),
    Column("customized_body", Text, nullable=True),
    Column("status", String(40), nullable=False),
    Column("status_changed_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    *_delivery_columns(),
    Column("segments", Integer, nullable=True),  # the SMS parts the message is billed as
    # Its order's sending time policy is Anytime: sent outside the daytime window too.
    Column("anytime", Boolean, nullable=False, server_default=false()),
    # With the id: an order's notifications a page at a time (the console's order page, 100 000 of them).
    Index("ix_notification_sms_order_id", "notification_order_id", "id"),
    Index("ix_notification_sms_anytime_status_due_at", "anytime", "status", "due_at"),
    *_recipient_indexes("notification_sms", "mobile_number"),
    Index("ix_notification_sms_status_due_at", "status", "due_at"),
    Index("ix_notification_sms_status_expires_at", "status", "expires_at"),
    Index("ix_notification_sms_claimed_by", "claimed_by", "status"),
    _failure_index("notification_sms"),
)

notification_status_feed = Table(
    "notification_status_feed",
    metadata,
    # The feed's cursor: increasing in the order entries were written.
    Column(
        "sequence_number",
        BigInteger().with_variant(Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    Column(
        "notification_order_id",
        Uuid,
        # Named here: the conventional name is longer than PostgreSQL's 63 characters.
        ForeignKey("notification_order.id", ondelete="CASCADE", name="fk_notification_status_feed_order"),
        nullable=False,
        unique=True,  # one entry per order, however often its completion is recorded
    ),
    Column("creator", String(100), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("entry", JSON, nullable=False),
    Index("ix_notification_status_feed_creator_sequence_number", "creator", "sequence_number"),
    Index("ix_notification_status_feed_created_at", "created_at"),
)
"""One entry per order that reached a final status (Completed, SendConditionNotMet), with its
shipment as it was then: what the status feed pages through."""

dead_delivery_report = Table(
    "dead_delivery_report",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("channel", String(16), nullable=False),
    Column("report", JSON, nullable=False),
    Column("reason", String(40), nullable=False),
    Column("detail", Text, nullable=True),
    Column("received_at", UTCDateTime, nullable=False),
    # The notification the report named (by our id or the provider's reference), when it named one:
    # the console links the report to its order through it.
    Column("notification_id", Uuid, nullable=True),
)
"""Delivery reports that could not be applied (unknown notification, expired, unrecognised state)."""

provider_pause = Table(
    "provider_pause",
    metadata,
    Column("provider", String(40), primary_key=True),
    Column("paused_until", UTCDateTime, nullable=False),
)
"""A provider that answered "too many requests" is left alone until `paused_until`, by every worker."""

notification_result_minute = Table(
    "notification_result_minute",
    metadata,
    # The minute in which the results were recorded, counted from 1970-01-01 00:00 UTC: a number
    # rather than a time, so that a day of minutes is read without parsing 1440 timestamps.
    Column("epoch_minute", Integer, primary_key=True, autoincrement=False),
    Column("channel", String(16), primary_key=True),
    # Writers add to one of a few rows per minute, chosen at random, so that the workers recording
    # results at the same moment seldom wait on one another's row lock; readers add the rows up.
    Column("shard", Integer, primary_key=True, autoincrement=False),
    Column("sent", Integer, nullable=False),
    Column("failed", Integer, nullable=False),
)
"""Notifications sent (handed to the provider, or delivered) and failed per minute and channel,
counted in the transaction that records their status: the console's 24-hour chart reads at most a
few thousand of these rows instead of a day of notifications."""

provider_error = Table(
    "provider_error",
    metadata,
    Column("provider", String(40), primary_key=True),
    # throttled, temporary, permanent or exception: as the provider_errors metric counts them.
    Column("kind", String(16), nullable=False),
    Column("message", Text, nullable=False),  # addresses and numbers redacted
    Column("at", UTCDateTime, nullable=False),
)
"""The last error each provider answered with, written by the dispatch loops: one row per provider."""
