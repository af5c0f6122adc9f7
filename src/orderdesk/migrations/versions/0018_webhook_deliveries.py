"""Indexes of the webhook deliveries list: a subscription's failed attempts, and one message's
attempts, each a range read however long the subscription's history.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

# The predicate as webhooks.tables.ATTEMPT_FAILED has it today; a migration keeps its own copy.
_FAILED = sa.text("status_code IS NULL OR status_code < 200 OR status_code >= 300")


def upgrade() -> None:
    op.create_index(
        "ix_webhook_attempt_failed",
        "webhook_attempt",
        ["subscription_id", "id"],
        postgresql_where=_FAILED,
        sqlite_where=_FAILED,
    )
    op.create_index("ix_webhook_attempt_message", "webhook_attempt", ["message_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_webhook_attempt_message", table_name="webhook_attempt")
    op.drop_index("ix_webhook_attempt_failed", table_name="webhook_attempt")
