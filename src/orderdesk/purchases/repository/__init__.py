"""Every SQL statement of purchase orders, one module per concern; callers own the transaction.
Rows come back as the typed values of `models`, never as SQLAlchemy rows."""

from orderdesk.purchases.repository import (
    callbacks,
    catalog,
    clients,
    customers,
    listing,
    orders,
    processing,
)

__all__ = ["callbacks", "catalog", "clients", "customers", "listing", "orders", "processing"]
