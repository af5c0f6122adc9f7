"""Status webhooks: subscriptions, their outbox of events and the attempts to post them.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from orderdesk.core.db import UTCDateTime

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "webhook_subscription",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_kind", sa.String(16), nullable=False),
        sa.Column("owner", sa.String(320), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("secret", sa.String(64), nullable=False),
        sa.Column("previous_secret", sa.String(64), nullable=True),
        sa.Column("previous_secret_until", UTCDateTime(), nullable=True),
        sa.Column("secret_rotated_at", UTCDateTime(), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("disabled_reason", sa.Text(), nullable=True),
        sa.Column("disabled_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("lease_token", sa.String(36), nullable=True),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("failing_since", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_subscription"),
    )
    op.create_index(
        "ix_webhook_subscription_owner", "webhook_subscription", ["owner_kind", "owner", "created_at"]
    )
    op.create_table(
        "webhook_event",
        sa.Column("seq", _SEQ, autoincrement=True, nullable=False),
        sa.Column("message_id", sa.String(40), nullable=False),
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["webhook_subscription.id"],
            name="fk_webhook_event_subscription_id_webhook_subscription",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("seq", name="pk_webhook_event"),
        sa.UniqueConstraint("message_id", name="uq_webhook_event_message_id"),
    )
    op.create_index(
        "ix_webhook_event_pending",
        "webhook_event",
        ["subscription_id", "seq"],
        postgresql_where=sa.text("state = 'pending'"),
        sqlite_where=sa.text("state = 'pending'"),
    )
    op.create_index("ix_webhook_event_finished", "webhook_event", ["finished_at"])
    op.create_table(
        "webhook_attempt",
        sa.Column("id", _SEQ, autoincrement=True, nullable=False),
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("event_seq", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.String(40), nullable=False),
        sa.Column("event_type", sa.String(40), nullable=False),
        sa.Column("attempted_at", UTCDateTime(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("response_excerpt", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["webhook_subscription.id"],
            name="fk_webhook_attempt_subscription_id_webhook_subscription",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_attempt"),
    )
    op.create_index("ix_webhook_attempt_subscription", "webhook_attempt", ["subscription_id", "id"])
    op.create_index("ix_webhook_attempt_time", "webhook_attempt", ["attempted_at"])


def downgrade() -> None:
    op.drop_table("webhook_attempt")
    op.drop_table("webhook_event")
    op.drop_table("webhook_subscription")
