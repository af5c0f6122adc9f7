"""The scheduler's fair claim reads through an index of the orders still to carry out, by creator and
due time: one short range per creator, however many orders are due, instead of ranking every due
order (which made each claim slower the further behind the workers were).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

_NAME = "ix_notification_order_pending_creator_due_at"
_PENDING = "processing_status IN ('Registered', 'Processing')"  # as notifications.tables.PENDING


def upgrade() -> None:
    op.create_index(
        _NAME,
        "notification_order",
        ["creator", "due_at"],
        postgresql_where=sa.text(_PENDING),
        sqlite_where=sa.text(_PENDING),
    )


def downgrade() -> None:
    op.drop_index(_NAME, table_name="notification_order")
