"""Indexes of the operator console's notification pages: every creator's orders newest first (also by
creator, by status and by sender's reference), and an order's notifications in id order, so that each
page is a range read after its cursor however many orders and notifications there are.

The order-id indexes of both notification tables gain the notification id instead of a second index:
every query that used them can use the wider one, and the notification intake keeps one index fewer.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-08
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_ORDER_INDEXES = {
    "ix_notification_order_created_at": ["created_at", "id"],
    "ix_notification_order_creator_created_at": ["creator", "created_at", "id"],
    "ix_notification_order_status_created_at": ["processing_status", "created_at", "id"],
    "ix_notification_order_senders_reference_created_at": ["senders_reference", "created_at", "id"],
}
_NOTIFICATION_TABLES = ("notification_email", "notification_sms")


def upgrade() -> None:
    for name, columns in _ORDER_INDEXES.items():
        op.create_index(name, "notification_order", columns)
    for table in _NOTIFICATION_TABLES:
        _replace_order_index(table, ["notification_order_id", "id"])


def downgrade() -> None:
    for table in _NOTIFICATION_TABLES:
        _replace_order_index(table, ["notification_order_id"])
    for name in _ORDER_INDEXES:
        op.drop_index(name, table_name="notification_order")


def _replace_order_index(table: str, columns: list[str]) -> None:
    name = f"ix_{table}_order_id"
    op.drop_index(name, table_name=table)
    op.create_index(name, table, columns)
