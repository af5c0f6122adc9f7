"""Notification orders, their notifications, and the contact register.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from orderdesk.core.db import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notification_order",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("creator", sa.String(100), nullable=False),
        sa.Column("senders_reference", sa.String(500), nullable=True),
        sa.Column("requested_send_at", UTCDateTime(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("notification_channel", sa.String(16), nullable=False),
        sa.Column("sending_time_policy", sa.String(16), nullable=False),
        sa.Column("ignore_reservation", sa.Boolean(), nullable=True),
        sa.Column("resource_id", sa.String(500), nullable=True),
        sa.Column("resource_action", sa.String(200), nullable=True),
        sa.Column("condition_endpoint", sa.Text(), nullable=True),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("email_template", sa.JSON(), nullable=True),
        sa.Column("sms_template", sa.JSON(), nullable=True),
        sa.Column("processing_status", sa.String(32), nullable=False),
        sa.Column("status_changed_at", UTCDateTime(), nullable=False),
        sa.Column("email_generated", sa.Integer(), server_default="0", nullable=False),
        sa.Column("email_succeeded", sa.Integer(), server_default="0", nullable=False),
        sa.Column("sms_generated", sa.Integer(), server_default="0", nullable=False),
        sa.Column("sms_succeeded", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_order")),
    )
    op.create_index(
        "ix_notification_order_creator_senders_reference",
        "notification_order",
        ["creator", "senders_reference"],
    )
    op.create_index(
        "ix_notification_order_status_requested_send_at",
        "notification_order",
        ["processing_status", "requested_send_at"],
    )

    for channel, address_column in (
        ("email", sa.Column("to_address", sa.String(320), nullable=True)),
        ("sms", sa.Column("mobile_number", sa.String(20), nullable=True)),
    ):
        table = f"notification_{channel}"
        subject = [sa.Column("customized_subject", sa.Text(), nullable=True)] if channel == "email" else []
        op.create_table(
            table,
            sa.Column("id", sa.Uuid(), nullable=False),
            sa.Column("notification_order_id", sa.Uuid(), nullable=False),
            address_column,
            sa.Column("recipient_organization_number", sa.String(9), nullable=True),
            sa.Column("recipient_national_identity_number", sa.String(11), nullable=True),
            *subject,
            sa.Column("customized_body", sa.Text(), nullable=True),
            sa.Column("status", sa.String(40), nullable=False),
            sa.Column("status_changed_at", UTCDateTime(), nullable=False),
            sa.Column("expires_at", UTCDateTime(), nullable=False),
            sa.ForeignKeyConstraint(
                ["notification_order_id"],
                ["notification_order.id"],
                name=op.f(f"fk_{table}_notification_order_id_notification_order"),
                ondelete="CASCADE",
            ),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        )
        op.create_index(f"ix_{table}_order_id", table, ["notification_order_id"])
        op.create_index(f"ix_{table}_status_id", table, ["status", "id"])

    op.create_table(
        "contact_person",
        sa.Column("national_identity_number", sa.String(11), nullable=False),
        sa.Column("name", sa.String(300), nullable=True),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("mobile_number", sa.String(20), nullable=True),
        sa.Column("reserved", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("national_identity_number", name=op.f("pk_contact_person")),
    )
    op.create_table(
        "contact_organization",
        sa.Column("organization_number", sa.String(9), nullable=False),
        sa.Column("name", sa.String(300), nullable=True),
        sa.Column("emails", sa.JSON(), nullable=False),
        sa.Column("mobile_numbers", sa.JSON(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("organization_number", name=op.f("pk_contact_organization")),
    )


def downgrade() -> None:
    op.drop_table("contact_organization")
    op.drop_table("contact_person")
    for table in ("notification_sms", "notification_email"):
        op.drop_index(f"ix_{table}_status_id", table_name=table)
        op.drop_index(f"ix_{table}_order_id", table_name=table)
        op.drop_table(table)
    op.drop_index("ix_notification_order_status_requested_send_at", table_name="notification_order")
    op.drop_index("ix_notification_order_creator_senders_reference", table_name="notification_order")
    op.drop_table("notification_order")
