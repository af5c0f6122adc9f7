"""The processing pipeline: leases and due times for claiming, per-channel counters, delivery state,
dead delivery reports and provider pauses.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from orderdesk.core.db import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_COUNTERS = [f"{channel}_{name}" for channel in ("email", "sms") for name in ("failed", "finished")]


def upgrade() -> None:
    with op.batch_alter_table("notification_order") as batch:
        batch.add_column(sa.Column("due_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("lease_token", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("condition_checks", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("processing_attempts", sa.Integer(), server_default="0", nullable=False))
        for name in _COUNTERS:
            batch.add_column(sa.Column(name, sa.Integer(), server_default="0", nullable=False))
        batch.drop_index("ix_notification_order_status_requested_send_at")
    op.execute("UPDATE notification_order SET due_at = requested_send_at")
    with op.batch_alter_table("notification_order") as batch:
        batch.alter_column("due_at", existing_type=UTCDateTime(), nullable=False)
        batch.create_index("ix_notification_order_status_due_at", ["processing_status", "due_at"])

    for table in ("notification_email", "notification_sms"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("due_at", UTCDateTime(), nullable=True))
            batch.add_column(sa.Column("lease_token", sa.Uuid(), nullable=True))
            batch.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
            batch.add_column(sa.Column("provider_reference", sa.String(200), nullable=True))
            batch.add_column(sa.Column("last_error", sa.Text(), nullable=True))
            batch.add_column(sa.Column("delivery_report", sa.JSON(), nullable=True))
            batch.drop_index(f"ix_{table}_status_id")
        op.execute(f"UPDATE {table} SET due_at = status_changed_at")
        with op.batch_alter_table(table) as batch:
            batch.alter_column("due_at", existing_type=UTCDateTime(), nullable=False)
            batch.create_unique_constraint(f"uq_{table}_provider_reference", ["provider_reference"])
            batch.create_index(f"ix_{table}_status_due_at", ["status", "due_at"])
            batch.create_index(f"ix_{table}_status_expires_at", ["status", "expires_at"])

    op.create_table(
        "dead_delivery_report",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_dead_delivery_report"),
    )
    op.create_table(
        "provider_pause",
        sa.Column("provider", sa.String(40), nullable=False),
        sa.Column("paused_until", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("provider", name="pk_provider_pause"),
    )


def downgrade() -> None:
    op.drop_table("provider_pause")
    op.drop_table("dead_delivery_report")
    for table in ("notification_sms", "notification_email"):
        with op.batch_alter_table(table) as batch:
            batch.drop_index(f"ix_{table}_status_expires_at")
            batch.drop_index(f"ix_{table}_status_due_at")
            batch.drop_constraint(f"uq_{table}_provider_reference", type_="unique")
            for name in ("delivery_report", "last_error", "provider_reference", "attempts", "lease_token"):
                batch.drop_column(name)
            batch.drop_column("due_at")
            batch.create_index(f"ix_{table}_status_id", ["status", "id"])
    with op.batch_alter_table("notification_order") as batch:
        batch.drop_index("ix_notification_order_status_due_at")
        for name in [*_COUNTERS, "processing_attempts", "condition_checks", "lease_token", "due_at"]:
            batch.drop_column(name)
        batch.create_index(
            "ix_notification_order_status_requested_send_at", ["processing_status", "requested_send_at"]
        )
