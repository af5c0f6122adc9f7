"""Purchase customers belong to a client: `purchase_customer.client_id`, and the identity that links a
payer to a customer (first e-mail, else phone) is unique per client instead of per installation.

Existing customers go to the client whose order created them: the client of the customer's first
invoice (customers are created as an order is processed, in the step that writes its invoice), else of
the first order that names it. Orders of other clients that were linked to such a customer (possible
before this revision: finding 8 of issue 13) get a copy of it owned by their own client, and their
orders and invoices point at the copy; nothing a client sees of its own orders changes except the
customer number. A customer no order or invoice refers to is of no client and is removed.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_COPIED = "identity_key, email, first_name, last_name, company_name, details, created_at"


def _assign_owners(bind: sa.Connection) -> None:
    op.execute(
        """
        UPDATE purchase_customer SET client_id = COALESCE(
            (SELECT o.client_id FROM purchase_invoice i JOIN purchase_order o ON o.order_id = i.order_id
             WHERE i.customer_number = purchase_customer.customer_number
             ORDER BY i.invoice_number LIMIT 1),
            (SELECT o.client_id FROM purchase_order o
             WHERE o.customer_number = purchase_customer.customer_number
             ORDER BY o.order_id LIMIT 1))
        """
    )
    op.execute("DELETE FROM purchase_customer WHERE client_id IS NULL")
    # Orders (and so invoices) of a client that is not their customer's owner: one copy per pair.
    shared = bind.execute(
        sa.text(
            """
            SELECT DISTINCT o.customer_number, o.client_id FROM purchase_order o
            JOIN purchase_customer c ON c.customer_number = o.customer_number
            WHERE o.client_id <> c.client_id
            ORDER BY o.customer_number, o.client_id
            """
        )
    ).all()
    for number, client_id in shared:
        copy = bind.execute(
            sa.text(
                f"INSERT INTO purchase_customer (client_id, {_COPIED}) "
                f"SELECT :client_id, {_COPIED} FROM purchase_customer WHERE customer_number = :number "
                "RETURNING customer_number"
            ),
            {"client_id": client_id, "number": number},
        ).scalar_one()
        values = {"client_id": client_id, "number": number, "copy": copy}
        bind.execute(
            sa.text(
                "UPDATE purchase_invoice SET customer_number = :copy WHERE customer_number = :number "
                "AND order_id IN (SELECT order_id FROM purchase_order WHERE client_id = :client_id)"
            ),
            values,
        )
        bind.execute(
            sa.text(
                "UPDATE purchase_order SET customer_number = :copy "
                "WHERE customer_number = :number AND client_id = :client_id"
            ),
            values,
        )


def _rebuild(bind: sa.Connection, alter: Callable[[Any], None], columns: str) -> None:
    """Alter purchase_customer by `alter` (given a batch). SQLite rebuilds the table, and dropping the
    old one while orders refer to it breaks their foreign keys: its rows (`columns` of them) are set
    aside, the table altered empty and the rows put back, the checks deferred to the commit (by when
    every reference is whole again)."""
    sqlite = bind.dialect.name == "sqlite"
    if sqlite:
        op.execute("PRAGMA defer_foreign_keys = ON")
        op.execute("CREATE TEMP TABLE purchase_customer_kept AS SELECT * FROM purchase_customer")
        op.execute("DELETE FROM purchase_customer")
    with op.batch_alter_table("purchase_customer") as batch:
        alter(batch)
    if sqlite:
        op.execute(f"INSERT INTO purchase_customer ({columns}) SELECT {columns} FROM purchase_customer_kept")
        op.execute("DROP TABLE purchase_customer_kept")


_WITH_CLIENT = f"customer_number, client_id, {_COPIED}"
_WITHOUT_CLIENT = f"customer_number, {_COPIED}"


def _per_client_identity(batch: Any) -> None:
    batch.add_column(sa.Column("client_id", sa.String(64), nullable=True))
    batch.drop_constraint("uq_purchase_customer_identity_key", type_="unique")
    batch.create_unique_constraint("uq_purchase_customer_client_id", ["client_id", "identity_key"])


def _client_required(batch: Any) -> None:
    batch.alter_column("client_id", existing_type=sa.String(64), nullable=False)
    batch.create_foreign_key(
        "fk_purchase_customer_client_id_api_client", "api_client", ["client_id"], ["client_id"]
    )


def _installation_identity(batch: Any) -> None:
    batch.drop_constraint("fk_purchase_customer_client_id_api_client", type_="foreignkey")
    batch.drop_constraint("uq_purchase_customer_client_id", type_="unique")
    batch.drop_column("client_id")
    batch.create_unique_constraint("uq_purchase_customer_identity_key", ["identity_key"])


def upgrade() -> None:
    bind = op.get_bind()
    _rebuild(bind, _per_client_identity, _WITHOUT_CLIENT)
    _assign_owners(bind)  # the copies share their original's identity: only unique per client now
    _rebuild(bind, _client_required, _WITH_CLIENT)


def downgrade() -> None:
    bind = op.get_bind()
    # One identity per installation again: the oldest customer keeps it, the others can no longer be
    # linked by e-mail or phone (they stay customers, reachable by number).
    op.execute(
        """
        UPDATE purchase_customer SET identity_key = NULL
        WHERE customer_number > (SELECT MIN(other.customer_number) FROM purchase_customer other
                                 WHERE other.identity_key = purchase_customer.identity_key)
        """
    )
    _rebuild(bind, _installation_identity, _WITHOUT_CLIENT)
