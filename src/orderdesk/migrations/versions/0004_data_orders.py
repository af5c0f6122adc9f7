"""Data orders, their sub-orders and their files.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from orderdesk.core.db import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "data_order",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("owner", sa.String(320), nullable=False),
        sa.Column("label", sa.String(50), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("status_changed_at", UTCDateTime(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("files_count", sa.Integer(), nullable=False),
        sa.Column("files_size", sa.BigInteger(), nullable=False),
        sa.Column("percent_completed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("files_in_error", sa.Integer(), server_default="0", nullable=False),
        sa.Column("available_files", sa.Integer(), server_default="0", nullable=False),
        sa.Column("waiting_for_user", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("on_success_url", sa.Text(), nullable=True),
        sa.Column("correlation_id", sa.String(255), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_data_order"),
        sa.UniqueConstraint("owner", "label", name="uq_data_order_owner_label"),
    )
    op.create_index("ix_data_order_status", "data_order", ["status"])
    op.create_table(
        "data_suborder",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(320), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("files_count", sa.Integer(), nullable=False),
        sa.Column("files_size", sa.BigInteger(), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("lease_token", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"], ["data_order.id"], name="fk_data_suborder_order_id_data_order", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_data_suborder"),
    )
    op.create_index("ix_data_suborder_state_due_at", "data_suborder", ["state", "due_at"])
    op.create_index("ix_data_suborder_owner_state", "data_suborder", ["owner", "state"])
    op.create_index("ix_data_suborder_order_id", "data_suborder", ["order_id"])
    op.create_table(
        "data_order_file",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("suborder_id", sa.Integer(), nullable=False),
        sa.Column("catalog_file_id", sa.Uuid(), nullable=False),
        sa.Column("dataset", sa.String(200), nullable=False),
        sa.Column("product_id", sa.String(255), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("storage_key", sa.Text(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("mime_type", sa.String(100), nullable=False),
        sa.Column("md5", sa.String(32), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("state_changed_at", UTCDateTime(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"], ["data_order.id"], name="fk_data_order_file_order_id_data_order", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["suborder_id"],
            ["data_suborder.id"],
            name="fk_data_order_file_suborder_id_data_suborder",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_data_order_file"),
    )
    op.create_index("ix_data_order_file_order_id_state", "data_order_file", ["order_id", "state"])
    op.create_index("ix_data_order_file_suborder_id", "data_order_file", ["suborder_id"])


def downgrade() -> None:
    op.drop_table("data_order_file")
    op.drop_table("data_suborder")
    op.drop_table("data_order")
