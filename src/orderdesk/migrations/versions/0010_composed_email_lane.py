"""Composed e-mails marked on the notification, with a partial index of their own: the composed lane's
claim had asked the order of every due e-mail whether it was composed (and the other lane, whether it
was not), reading past the whole e-mail backlog.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notification_email") as batch:
        batch.add_column(sa.Column("composed", sa.Boolean(), nullable=False, server_default=sa.false()))
    email = sa.table(
        "notification_email", sa.column("composed", sa.Boolean()), sa.column("notification_order_id")
    )
    order = sa.table("notification_order", sa.column("id"), sa.column("order_type"))
    op.execute(
        email.update()
        .where(
            email.c.notification_order_id.in_(sa.select(order.c.id).where(order.c.order_type == "Composed"))
        )
        .values(composed=True)
    )
    op.create_index(
        "ix_notification_email_composed_status_due_at",
        "notification_email",
        ["status", "due_at"],
        postgresql_where=sa.text("composed"),
        sqlite_where=sa.text("composed = 1"),
    )


def downgrade() -> None:
    op.drop_index("ix_notification_email_composed_status_due_at", table_name="notification_email")
    with op.batch_alter_table("notification_email") as batch:
        batch.drop_column("composed")
