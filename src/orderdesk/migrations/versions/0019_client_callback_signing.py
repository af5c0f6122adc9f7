"""Purchase callbacks are signed (Standard Webhooks headers): each API client gets a `whsec_` secret
that signs its callbacks. Existing clients get one each here (`orderdesk clients add` prints it only for
the clients it adds: an operator reads an existing client's from `api_client.callback_signing_secret`).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def _new_secret() -> str:
    """As core.webhook_signing.new_secret at the time of writing (a migration keeps its own copy)."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


_COLUMNS = "client_id, name, secret_hash, created_at, revoked_at"


def _rebuild(alter: Callable[[Any], None], columns: str) -> None:
    """Alter api_client by `alter` (given a batch). SQLite rebuilds the table, and dropping the old
    one while orders and customers refer to it breaks their foreign keys: its rows (`columns` of
    them) are set aside, the table altered empty and the rows put back, the checks deferred to the
    commit (by when every reference is whole again), as migration 0007 does."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("PRAGMA defer_foreign_keys = ON")
        op.execute("CREATE TEMP TABLE api_client_kept AS SELECT * FROM api_client")
        op.execute("DELETE FROM api_client")
    with op.batch_alter_table("api_client") as batch:
        alter(batch)
    if sqlite:
        op.execute(f"INSERT INTO api_client ({columns}) SELECT {columns} FROM api_client_kept")
        op.execute("DROP TABLE api_client_kept")


def _secret_required(batch: Any) -> None:
    batch.alter_column("callback_signing_secret", existing_type=sa.String(64), nullable=False)


def _no_secret(batch: Any) -> None:
    batch.drop_column("callback_signing_secret")


def upgrade() -> None:
    with op.batch_alter_table("api_client") as batch:  # a new column: no rebuild, even on SQLite
        batch.add_column(sa.Column("callback_signing_secret", sa.String(64), nullable=True))
    bind = op.get_bind()
    client_ids = bind.execute(sa.text("SELECT client_id FROM api_client")).scalars().all()
    if client_ids:
        # One secret per client, never shared: a client must not verify (or forge) another's callbacks.
        bind.execute(
            sa.text("UPDATE api_client SET callback_signing_secret = :secret WHERE client_id = :client_id"),
            [{"secret": _new_secret(), "client_id": client_id} for client_id in client_ids],
        )
    _rebuild(_secret_required, f"{_COLUMNS}, callback_signing_secret")


def downgrade() -> None:
    _rebuild(_no_secret, _COLUMNS)
