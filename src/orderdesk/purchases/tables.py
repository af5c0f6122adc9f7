"""Tables of the purchase-order family: clients, the product catalogue, customers, orders with their
lines and invoices, and the call counters of the rate limit when they are kept in the database."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    UniqueConstraint,
    text,
)

from orderdesk.core.db import UTCDateTime, metadata

MONEY = Numeric(12, 2)

api_client = Table(
    "api_client",
    metadata,
    Column("client_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("secret_hash", String(255), nullable=False),
    # Signs the client's fulfilment callbacks (core.webhook_signing); kept as is: HMAC needs the key.
    Column("callback_signing_secret", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    # Set by `orderdesk clients revoke`: the client gets no token and places no order any more.
    Column("revoked_at", UTCDateTime, nullable=True),
)

purchase_product = Table(
    "purchase_product",
    metadata,
    Column("id", Integer, primary_key=True),
    # The identity of a product within its type, e.g. "coupon|DT|3011" (see rules.lines.catalog_key).
    Column("catalog_key", String(300), nullable=False, unique=True),
    Column("product_spec_type", String(16), nullable=False),
    Column("product", String(100)),
    Column("product_spec_code", String(100)),
    Column("product_spec_no", Integer),
    Column("unit_price", MONEY, nullable=False),
    Column("description", String(500)),
    Column("updated_at", UTCDateTime, nullable=False),
)

purchase_customer = Table(
    "purchase_customer",
    metadata,
    Column("customer_number", Integer, primary_key=True),
    # A customer is the client's own: the client whose order created it. Other clients never link to
    # it, by number or by identity (see README, purchase orders).
    Column("client_id", String(64), ForeignKey("api_client.client_id"), nullable=False),
    # "email:ola@example.com" or "phone:+4799999999": how a payer without a customer number is linked,
    # unique within the client.
    Column("identity_key", String(400)),
    Column("email", String(320), index=True),
    Column("first_name", String(200)),
    Column("last_name", String(200)),
    Column("company_name", String(200)),
    Column("details", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("client_id", "identity_key"),
)

purchase_order = Table(
    "purchase_order",
    metadata,
    Column("order_id", Integer, primary_key=True),
    Column("client_id", String(64), ForeignKey("api_client.client_id"), nullable=False),
    Column("external_order_id", String(40)),
    Column("order_time", UTCDateTime, nullable=False),
    Column("payment_method", String(32), nullable=False),
    Column("order_amount", MONEY, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("recurring", Boolean, nullable=False),
    Column("prepaid", Boolean, nullable=False),
    Column("payer", JSON, nullable=False),
    Column("request", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("status_changed_at", UTCDateTime, nullable=False),
    Column("failure_reason", String(500)),
    # Times the database refused to store this order's processing (it is set aside, then failed).
    Column("processing_errors", Integer, nullable=False, default=0),
    Column("customer_number", Integer, ForeignKey("purchase_customer.customer_number")),
    Column("fulfilled_at", UTCDateTime),
    Column("callback_url", String(2000)),
    Column("callback_state", String(16)),
    Column("callback_due_at", UTCDateTime),
    Column("callback_attempts", Integer, nullable=False, default=0),
    Column("callback_lease", String(36)),
    Column("callback_error", String(500)),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("client_id", "external_order_id"),
    # Newest first, of a status or of a client (the console's list of every client's orders).
    Index("ix_purchase_order_status_order_id", "status", "order_id"),
    Index("ix_purchase_order_client_id_order_id", "client_id", "order_id"),
    Index("ix_purchase_order_callback_due", "callback_state", "callback_due_at"),
    Index("ix_purchase_order_customer_number", "customer_number"),
    # Only the orders whose last callback call failed (the console's failures page): a few at most.
    Index(
        "ix_purchase_order_callback_failing",
        "order_id",
        postgresql_where=text("callback_error IS NOT NULL"),
        sqlite_where=text("callback_error IS NOT NULL"),
    ),
)

purchase_invoice = Table(
    "purchase_invoice",
    metadata,
    Column("invoice_number", Integer, primary_key=True),
    Column("order_id", Integer, ForeignKey("purchase_order.order_id"), nullable=False, unique=True),
    Column("customer_number", Integer, ForeignKey("purchase_customer.customer_number"), nullable=False),
    Column("amount", MONEY, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

purchase_order_line = Table(
    "purchase_order_line",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("order_id", Integer, ForeignKey("purchase_order.order_id"), nullable=False),
    Column("line_number", Integer, nullable=False),
    Column("product_spec_type", String(16), nullable=False),
    Column("product", String(100)),
    Column("product_spec_code", String(100)),
    Column("product_spec_no", Integer),
    Column("quantity", Integer, nullable=False),
    Column("unit_price", MONEY),
    Column("details", JSON, nullable=False),
    Column("product_id", Integer, ForeignKey("purchase_product.id")),
    Column("description", String(500)),
    Column("line_amount", MONEY),
    Column("invoice_number", Integer, ForeignKey("purchase_invoice.invoice_number")),
    Column("invoice_status", String(16), nullable=False),
    Column("delivery_status", String(16), nullable=False),
    UniqueConstraint("order_id", "line_number"),
)

purchase_rate_limit = Table(
    "purchase_rate_limit",
    metadata,
    Column("key", String(250), primary_key=True),
    Column("hits", Integer, nullable=False),
    # Epoch seconds at which the window ends and the count starts again from zero.
    Column("expires_at", Float, nullable=False),
)
