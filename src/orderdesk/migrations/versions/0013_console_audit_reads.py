"""The console's audit page reads the trail newest first, whole or by operator or by target: an index
for each of those reads, on `(…, at, id)`, in place of the index on `at` alone.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("console_audit") as batch:
        batch.drop_index("ix_console_audit_at")
        batch.create_index("ix_console_audit_at_id", ["at", "id"])
        batch.create_index("ix_console_audit_operator_email_at_id", ["operator_email", "at", "id"])
        batch.create_index("ix_console_audit_target_at_id", ["target_kind", "target_id", "at", "id"])


def downgrade() -> None:
    with op.batch_alter_table("console_audit") as batch:
        batch.drop_index("ix_console_audit_target_at_id")
        batch.drop_index("ix_console_audit_operator_email_at_id")
        batch.drop_index("ix_console_audit_at_id")
        batch.create_index("ix_console_audit_at", ["at"])
