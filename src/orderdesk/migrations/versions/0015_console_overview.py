"""What the console's overview reads cheaply: notifications sent and failed per minute (counted where
their status is recorded) and the last error of each provider.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from orderdesk.core.db import UTCDateTime

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notification_result_minute",
        sa.Column("epoch_minute", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("shard", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("epoch_minute", "channel", "shard", name="pk_notification_result_minute"),
    )
    op.create_table(
        "provider_error",
        sa.Column("provider", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("provider", name="pk_provider_error"),
    )


def downgrade() -> None:
    op.drop_table("provider_error")
    op.drop_table("notification_result_minute")
