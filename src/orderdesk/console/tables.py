"""Tables of the operator console: operators, their server-side sessions, failed sign-ins (for the
throttle) and the audit trail of admin actions."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, ForeignKey, Index, Integer, String, Table

from orderdesk.core.db import UTCDateTime, metadata

console_operator = Table(
    "console_operator",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("must_choose_password", Boolean, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

console_session = Table(
    "console_session",
    metadata,
    # The SHA-256 of the cookie's random token: a copy of the table opens no session.
    Column("token_hash", String(64), primary_key=True),
    Column(
        "console_operator_id",
        Integer,
        ForeignKey("console_operator.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False, index=True),
)

console_sign_in_failure = Table(
    "console_sign_in_failure",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", String(320), nullable=False),
    Column("address", String(64), nullable=False),
    Column("failed_at", UTCDateTime, nullable=False, index=True),
    Index("ix_console_sign_in_failure_email_failed_at", "email", "failed_at"),
    Index("ix_console_sign_in_failure_address_failed_at", "address", "failed_at"),
)

console_audit = Table(
    "console_audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # The e-mail address rather than a key: the trail outlives the operator.
    Column("operator_email", String(320), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("action", String(64), nullable=False),
    Column("target_kind", String(64), nullable=False),
    Column("target_id", String(200), nullable=False),
    Column("detail", JSON, nullable=True),
    # The audit page reads newest first, `(at, id)` descending, the whole trail or one operator's or
    # one target's: each read is a range of one of these, never a sort of the table.
    Index("ix_console_audit_at_id", "at", "id"),
    Index("ix_console_audit_operator_email_at_id", "operator_email", "at", "id"),
    Index("ix_console_audit_target_at_id", "target_kind", "target_id", "at", "id"),
)
