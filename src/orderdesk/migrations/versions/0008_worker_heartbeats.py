"""Worker heartbeats: the worker processes seen lately, and which of them claimed each order,
notification and sub-order being worked on (so that a dead worker's claims are taken over at once).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from orderdesk.core.db import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_CLAIMED = (
    ("notification_order", "processing_status"),
    ("notification_email", "status"),
    ("notification_sms", "status"),
    ("data_suborder", "state"),
)


def upgrade() -> None:
    op.create_table(
        "worker_process",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", UTCDateTime(), nullable=False),
        sa.Column("activity", sa.JSON(), nullable=False),
        sa.Column("claims_released_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_worker_process"),
    )
    op.create_index("ix_worker_process_last_seen_at", "worker_process", ["last_seen_at"])
    for table, status in _CLAIMED:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("claimed_by", sa.Uuid(), nullable=True))
            batch.create_index(f"ix_{table}_claimed_by", ["claimed_by", status])


def downgrade() -> None:
    for table, _status in reversed(_CLAIMED):
        with op.batch_alter_table(table) as batch:
            batch.drop_index(f"ix_{table}_claimed_by")
            batch.drop_column("claimed_by")
    op.drop_index("ix_worker_process_last_seen_at", table_name="worker_process")
    op.drop_table("worker_process")
