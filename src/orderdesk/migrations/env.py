"""Alembic environment: always handed a live connection by orderdesk.migrations.runner."""

from __future__ import annotations

from alembic import context

import orderdesk.console.tables
import orderdesk.contacts.tables
import orderdesk.core.heartbeat
import orderdesk.dataorders.tables
import orderdesk.notifications.tables
import orderdesk.purchases.tables
import orderdesk.webhooks.tables  # noqa: F401  (registers the tables on the metadata)
from orderdesk.core.db import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("Run migrations with `orderdesk migrate`, which supplies the connection.")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
