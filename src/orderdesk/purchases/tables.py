"""Tables of the purchase-order family."""

from __future__ import annotations

from sqlalchemy import Column, String, Table

from orderdesk.core.db import UTCDateTime, metadata

api_client = Table(
    "api_client",
    metadata,
    Column("client_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("secret_hash", String(255), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)
