"""Purchase orders: the product catalogue, customers, orders, their lines and invoices, and the
rate-limit counters shared by API processes.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from orderdesk.core.db import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

MONEY = sa.Numeric(12, 2)


def upgrade() -> None:
    op.create_table(
        "purchase_product",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("catalog_key", sa.String(300), nullable=False),
        sa.Column("product_spec_type", sa.String(16), nullable=False),
        sa.Column("product", sa.String(100), nullable=True),
        sa.Column("product_spec_code", sa.String(100), nullable=True),
        sa.Column("product_spec_no", sa.Integer(), nullable=True),
        sa.Column("unit_price", MONEY, nullable=False),
        sa.Column("description", sa.String(500), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_purchase_product"),
        sa.UniqueConstraint("catalog_key", name="uq_purchase_product_catalog_key"),
    )
    op.create_table(
        "purchase_customer",
        sa.Column("customer_number", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("identity_key", sa.String(400), nullable=True),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("first_name", sa.String(200), nullable=True),
        sa.Column("last_name", sa.String(200), nullable=True),
        sa.Column("company_name", sa.String(200), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("customer_number", name="pk_purchase_customer"),
        sa.UniqueConstraint("identity_key", name="uq_purchase_customer_identity_key"),
    )
    op.create_index("ix_purchase_customer_email", "purchase_customer", ["email"])
    op.create_table(
        "purchase_order",
        sa.Column("order_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("external_order_id", sa.String(40), nullable=True),
        sa.Column("order_time", UTCDateTime(), nullable=False),
        sa.Column("payment_method", sa.String(32), nullable=False),
        sa.Column("order_amount", MONEY, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("recurring", sa.Boolean(), nullable=False),
        sa.Column("prepaid", sa.Boolean(), nullable=False),
        sa.Column("payer", sa.JSON(), nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_changed_at", UTCDateTime(), nullable=False),
        sa.Column("failure_reason", sa.String(500), nullable=True),
        sa.Column("processing_errors", sa.Integer(), nullable=False),
        sa.Column("customer_number", sa.Integer(), nullable=True),
        sa.Column("fulfilled_at", UTCDateTime(), nullable=True),
        sa.Column("callback_url", sa.String(2000), nullable=True),
        sa.Column("callback_state", sa.String(16), nullable=True),
        sa.Column("callback_due_at", UTCDateTime(), nullable=True),
        sa.Column("callback_attempts", sa.Integer(), nullable=False),
        sa.Column("callback_lease", sa.String(36), nullable=True),
        sa.Column("callback_error", sa.String(500), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["api_client.client_id"], name="fk_purchase_order_client_id_api_client"
        ),
        sa.ForeignKeyConstraint(
            ["customer_number"],
            ["purchase_customer.customer_number"],
            name="fk_purchase_order_customer_number_purchase_customer",
        ),
        sa.PrimaryKeyConstraint("order_id", name="pk_purchase_order"),
        sa.UniqueConstraint("client_id", "external_order_id", name="uq_purchase_order_client_id"),
    )
    op.create_index("ix_purchase_order_status", "purchase_order", ["status"])
    op.create_index("ix_purchase_order_callback_due", "purchase_order", ["callback_state", "callback_due_at"])
    op.create_index("ix_purchase_order_customer_number", "purchase_order", ["customer_number"])
    op.create_table(
        "purchase_invoice",
        sa.Column("invoice_number", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("customer_number", sa.Integer(), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["purchase_order.order_id"], name="fk_purchase_invoice_order_id_purchase_order"
        ),
        sa.ForeignKeyConstraint(
            ["customer_number"],
            ["purchase_customer.customer_number"],
            name="fk_purchase_invoice_customer_number_purchase_customer",
        ),
        sa.PrimaryKeyConstraint("invoice_number", name="pk_purchase_invoice"),
        sa.UniqueConstraint("order_id", name="uq_purchase_invoice_order_id"),
    )
    op.create_table(
        "purchase_order_line",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("line_number", sa.Integer(), nullable=False),
        sa.Column("product_spec_type", sa.String(16), nullable=False),
        sa.Column("product", sa.String(100), nullable=True),
        sa.Column("product_spec_code", sa.String(100), nullable=True),
        sa.Column("product_spec_no", sa.Integer(), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", MONEY, nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("description", sa.String(500), nullable=True),
        sa.Column("line_amount", MONEY, nullable=True),
        sa.Column("invoice_number", sa.Integer(), nullable=True),
        sa.Column("invoice_status", sa.String(16), nullable=False),
        sa.Column("delivery_status", sa.String(16), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["purchase_order.order_id"], name="fk_purchase_order_line_order_id_purchase_order"
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["purchase_product.id"], name="fk_purchase_order_line_product_id_purchase_product"
        ),
        sa.ForeignKeyConstraint(
            ["invoice_number"],
            ["purchase_invoice.invoice_number"],
            name="fk_purchase_order_line_invoice_number_purchase_invoice",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_purchase_order_line"),
        sa.UniqueConstraint("order_id", "line_number", name="uq_purchase_order_line_order_id"),
    )
    op.create_table(
        "purchase_rate_limit",
        sa.Column("key", sa.String(250), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_purchase_rate_limit"),
    )


def downgrade() -> None:
    op.drop_table("purchase_rate_limit")
    op.drop_table("purchase_order_line")
    op.drop_table("purchase_invoice")
    op.drop_index("ix_purchase_order_customer_number", table_name="purchase_order")
    op.drop_index("ix_purchase_order_callback_due", table_name="purchase_order")
    op.drop_index("ix_purchase_order_status", table_name="purchase_order")
    op.drop_table("purchase_order")
    op.drop_index("ix_purchase_customer_email", table_name="purchase_customer")
    op.drop_table("purchase_customer")
    op.drop_table("purchase_product")
