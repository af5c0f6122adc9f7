"""Purchase callbacks are signed (Standard Webhooks headers): each API client gets a `whsec_` secret
that signs its callbacks. Existing clients get one each here (`orderdesk clients add` prints it only for
the clients it adds: an operator reads an existing client's from `api_client.callback_signing_secret`).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

from __future__ import annotations

import base64
import secrets

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def _new_secret() -> str:
    """As core.webhook_signing.new_secret at the time of writing (a migration keeps its own copy)."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def upgrade() -> None:
    with op.batch_alter_table("api_client") as batch:
        batch.add_column(sa.Column("callback_signing_secret", sa.String(64), nullable=True))
    bind = op.get_bind()
    client_ids = bind.execute(sa.text("SELECT client_id FROM api_client")).scalars().all()
    if client_ids:
        # One secret per client, never shared: a client must not verify (or forge) another's callbacks.
        bind.execute(
            sa.text("UPDATE api_client SET callback_signing_secret = :secret WHERE client_id = :client_id"),
            [{"secret": _new_secret(), "client_id": client_id} for client_id in client_ids],
        )
    with op.batch_alter_table("api_client") as batch:
        batch.alter_column("callback_signing_secret", existing_type=sa.String(64), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("api_client") as batch:
        batch.drop_column("callback_signing_secret")
