"""OAuth2 clients of the purchase API can be revoked (`orderdesk clients revoke`): the row stays, for
the orders that name it, with the time it was revoked.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from orderdesk.core.db import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_client") as batch:
        batch.add_column(sa.Column("revoked_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_client") as batch:
        batch.drop_column("revoked_at")
