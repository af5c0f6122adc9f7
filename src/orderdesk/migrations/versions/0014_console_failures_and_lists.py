"""What the console's failures page and its lists of data and purchase orders read, each an index
range at any size: failed notifications by status (partial indexes, so that the sending pipeline only
writes to them on a failure), the order a dead delivery report names (through its notification), the
orders whose callback fails, files in error, and every order newest first by status or by owner/client
(replacing the status-only indexes, and the order-and-state index of files by one that pages).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

FAILED = "status LIKE 'Failed%'"
IN_ERROR = "state IN ('ERROR', 'DOWNLOAD_ERROR')"
CALLBACK_FAILING = "callback_error IS NOT NULL"


def _partial(name: str, table: str, columns: list[str], where: str) -> None:
    op.create_index(name, table, columns, postgresql_where=sa.text(where), sqlite_where=sa.text(where))


def upgrade() -> None:
    for table in ("notification_email", "notification_sms"):
        _partial(f"ix_{table}_failed_status_changed_at", table, ["status", "status_changed_at", "id"], FAILED)
    with op.batch_alter_table("dead_delivery_report") as batch:
        batch.add_column(sa.Column("notification_id", sa.Uuid(), nullable=True))

    op.drop_index("ix_purchase_order_status", table_name="purchase_order")
    op.create_index("ix_purchase_order_status_order_id", "purchase_order", ["status", "order_id"])
    op.create_index("ix_purchase_order_client_id_order_id", "purchase_order", ["client_id", "order_id"])
    _partial("ix_purchase_order_callback_failing", "purchase_order", ["order_id"], CALLBACK_FAILING)

    op.drop_index("ix_data_order_status", table_name="data_order")
    op.create_index("ix_data_order_status_id", "data_order", ["status", "id"])
    op.create_index("ix_data_order_owner_id", "data_order", ["owner", "id"])
    op.drop_index("ix_data_order_file_order_id_state", table_name="data_order_file")
    op.create_index("ix_data_order_file_order_id_state_id", "data_order_file", ["order_id", "state", "id"])
    _partial(
        "ix_data_order_file_in_error_state_changed_at",
        "data_order_file",
        ["state_changed_at", "id"],
        IN_ERROR,
    )


def downgrade() -> None:
    op.drop_index("ix_data_order_file_in_error_state_changed_at", table_name="data_order_file")
    op.drop_index("ix_data_order_file_order_id_state_id", table_name="data_order_file")
    op.create_index("ix_data_order_file_order_id_state", "data_order_file", ["order_id", "state"])
    op.drop_index("ix_data_order_owner_id", table_name="data_order")
    op.drop_index("ix_data_order_status_id", table_name="data_order")
    op.create_index("ix_data_order_status", "data_order", ["status"])

    op.drop_index("ix_purchase_order_callback_failing", table_name="purchase_order")
    op.drop_index("ix_purchase_order_client_id_order_id", table_name="purchase_order")
    op.drop_index("ix_purchase_order_status_order_id", table_name="purchase_order")
    op.create_index("ix_purchase_order_status", "purchase_order", ["status"])

    with op.batch_alter_table("dead_delivery_report") as batch:
        batch.drop_column("notification_id")
    for table in ("notification_email", "notification_sms"):
        op.drop_index(f"ix_{table}_failed_status_changed_at", table_name=table)
