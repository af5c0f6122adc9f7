"""The operator console's sign-in: operators, their server-side sessions, failed sign-ins (for the
throttle), and the audit trail that the console's admin actions write.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from orderdesk.core.db import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_operator",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("must_choose_password", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_operator")),
        sa.UniqueConstraint("email", name=op.f("uq_console_operator_email")),
    )
    op.create_table(
        "console_session",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("console_operator_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["console_operator_id"],
            ["console_operator.id"],
            name=op.f("fk_console_session_console_operator_id_console_operator"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_console_session")),
    )
    with op.batch_alter_table("console_session") as batch:
        batch.create_index(batch.f("ix_console_session_console_operator_id"), ["console_operator_id"])
        batch.create_index(batch.f("ix_console_session_expires_at"), ["expires_at"])
    op.create_table(
        "console_sign_in_failure",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("failed_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_sign_in_failure")),
    )
    with op.batch_alter_table("console_sign_in_failure") as batch:
        batch.create_index(batch.f("ix_console_sign_in_failure_failed_at"), ["failed_at"])
        batch.create_index("ix_console_sign_in_failure_email_failed_at", ["email", "failed_at"])
        batch.create_index("ix_console_sign_in_failure_address_failed_at", ["address", "failed_at"])
    op.create_table(
        "console_audit",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("operator_email", sa.String(320), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target_kind", sa.String(64), nullable=False),
        sa.Column("target_id", sa.String(200), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_audit")),
    )
    with op.batch_alter_table("console_audit") as batch:
        batch.create_index(batch.f("ix_console_audit_at"), ["at"])


def downgrade() -> None:
    op.drop_table("console_audit")
    op.drop_table("console_sign_in_failure")
    op.drop_table("console_session")
    op.drop_table("console_operator")
