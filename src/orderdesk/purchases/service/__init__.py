"""Use cases of purchase orders, one module per concern. Functions take a connection and never
commit: the caller (a request, a CLI command, a worker step) owns the transaction."""

from orderdesk.purchases.service import callbacks, catalog, clients, customers, listing, ordering, processing

__all__ = ["callbacks", "catalog", "clients", "customers", "listing", "ordering", "processing"]
