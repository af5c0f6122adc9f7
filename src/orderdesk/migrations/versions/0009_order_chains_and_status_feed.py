"""The current notification API generation: order chains (a main order and its reminders, instant and
composed orders) under an idempotency id, the status feed, SMS segments and attachment sizes, SMS that
may go out at any time of day, and the indexes of the support look-up by recipient.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from orderdesk.core.db import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_RECIPIENT_COLUMNS = {
    "notification_email": (
        "recipient_national_identity_number",
        "recipient_organization_number",
        "to_address",
    ),
    "notification_sms": (
        "recipient_national_identity_number",
        "recipient_organization_number",
        "mobile_number",
    ),
}


def upgrade() -> None:
    op.create_table(
        "notification_order_chain",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("creator", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("idempotency_id", sa.String(500), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("receipt", sa.JSON(), nullable=False),
        sa.Column("dialog_id", sa.String(500), nullable=True),
        sa.Column("transmission_id", sa.String(500), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_notification_order_chain"),
        sa.UniqueConstraint(
            "creator", "kind", "idempotency_id", name="uq_notification_order_chain_idempotency"
        ),
    )
    op.create_index("ix_notification_order_chain_dialog_id", "notification_order_chain", ["dialog_id"])
    op.create_index(
        "ix_notification_order_chain_transmission_id", "notification_order_chain", ["transmission_id"]
    )
    with op.batch_alter_table("notification_order") as batch:
        batch.add_column(
            sa.Column("order_type", sa.String(16), nullable=False, server_default="Notification")
        )
        batch.add_column(sa.Column("chain_id", sa.Uuid(), nullable=True))
        batch.create_foreign_key(
            "fk_notification_order_chain_id_notification_order_chain",
            "notification_order_chain",
            ["chain_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_index("ix_notification_order_chain_id", ["chain_id"])
    with op.batch_alter_table("notification_email") as batch:
        batch.add_column(sa.Column("attachment_bytes", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("notification_sms") as batch:
        batch.add_column(sa.Column("segments", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("anytime", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.create_index("ix_notification_sms_anytime_status_due_at", ["anytime", "status", "due_at"])
    for table, columns in _RECIPIENT_COLUMNS.items():
        for column in columns:
            op.create_index(f"ix_{table}_{column}", table, [column])
    op.create_table(
        "notification_status_feed",
        sa.Column(
            "sequence_number",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("notification_order_id", sa.Uuid(), nullable=False),
        sa.Column("creator", sa.String(100), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("entry", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["notification_order_id"],
            ["notification_order.id"],
            name="fk_notification_status_feed_order",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("sequence_number", name="pk_notification_status_feed"),
        sa.UniqueConstraint(
            "notification_order_id", name="uq_notification_status_feed_notification_order_id"
        ),
    )
    op.create_index(
        "ix_notification_status_feed_creator_sequence_number",
        "notification_status_feed",
        ["creator", "sequence_number"],
    )
    op.create_index("ix_notification_status_feed_created_at", "notification_status_feed", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_notification_status_feed_created_at", table_name="notification_status_feed")
    op.drop_index(
        "ix_notification_status_feed_creator_sequence_number", table_name="notification_status_feed"
    )
    op.drop_table("notification_status_feed")
    for table, columns in reversed(_RECIPIENT_COLUMNS.items()):
        for column in reversed(columns):
            op.drop_index(f"ix_{table}_{column}", table_name=table)
    with op.batch_alter_table("notification_sms") as batch:
        batch.drop_index("ix_notification_sms_anytime_status_due_at")
        batch.drop_column("anytime")
        batch.drop_column("segments")
    with op.batch_alter_table("notification_email") as batch:
        batch.drop_column("attachment_bytes")
    with op.batch_alter_table("notification_order") as batch:
        batch.drop_index("ix_notification_order_chain_id")
        batch.drop_constraint("fk_notification_order_chain_id_notification_order_chain", type_="foreignkey")
        batch.drop_column("chain_id")
        batch.drop_column("order_type")
    op.drop_index("ix_notification_order_chain_transmission_id", table_name="notification_order_chain")
    op.drop_index("ix_notification_order_chain_dialog_id", table_name="notification_order_chain")
    op.drop_table("notification_order_chain")
