"""Tables of the data-order family."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)

from orderdesk.core.db import UTCDateTime, metadata

catalog_dataset = Table(
    "catalog_dataset",
    metadata,
    Column("name", String(200), primary_key=True),
    # Where the store keeps the dataset's files (a folder for the local store).
    Column("location", Text, nullable=False),
    Column("imported_at", UTCDateTime, nullable=False),
)

catalog_file = Table(
    "catalog_file",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("dataset", String(200), ForeignKey("catalog_dataset.name", ondelete="CASCADE"), nullable=False),
    Column("product_id", String(255), nullable=False),
    Column("filename", String(255), nullable=False),
    Column("storage_key", Text, nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("mime_type", String(100), nullable=False),
    Column("md5", String(32), nullable=False),
    Column("imported_at", UTCDateTime, nullable=False),
    # Set when a re-import no longer finds the file: ordered copies of it end in ERROR.
    Column("removed_at", UTCDateTime, nullable=True),
    UniqueConstraint("dataset", "storage_key", name="uq_catalog_file_dataset_storage_key"),
    Index("ix_catalog_file_dataset_product_id", "dataset", "product_id"),
)

basket_selection = Table(
    "basket_selection",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("owner", String(320), nullable=False),
    Column("dataset", String(200), ForeignKey("catalog_dataset.name", ondelete="CASCADE"), nullable=False),
    # None: the whole dataset; else the chosen product ids.
    Column("product_ids", JSON(none_as_null=True), nullable=True),
    Column("filename_pattern", Text, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_basket_selection_owner", "owner"),
)

data_order = Table(
    "data_order",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("owner", String(320), nullable=False),
    Column("label", String(50), nullable=False),
    Column("status", String(20), nullable=False),
    Column("status_changed_at", UTCDateTime, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("files_count", Integer, nullable=False),
    Column("files_size", BigInteger, nullable=False),
    Column("percent_completed", Integer, nullable=False, server_default="0"),
    Column("files_in_error", Integer, nullable=False, server_default="0"),
    Column("available_files", Integer, nullable=False, server_default="0"),
    Column("waiting_for_user", Boolean, nullable=False, server_default="0"),
    Column("on_success_url", Text, nullable=True),
    Column("correlation_id", String(255), nullable=False),
    Column("message", Text, nullable=True),
    UniqueConstraint("owner", "label", name="uq_data_order_owner_label"),
    # Newest first, of a status or of an owner (the console's list of every user's orders).
    Index("ix_data_order_status_id", "status", "id"),
    Index("ix_data_order_owner_id", "owner", "id"),
)

data_suborder = Table(
    "data_suborder",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("order_id", Integer, ForeignKey("data_order.id", ondelete="CASCADE"), nullable=False),
    Column("owner", String(320), nullable=False),
    Column("sequence", Integer, nullable=False),
    # WAITING (for a slot of its owner), STAGING, STAGED (files available), ENDED (all downloaded or failed)
    Column("state", String(16), nullable=False),
    Column("files_count", Integer, nullable=False),
    Column("files_size", BigInteger, nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
    Column("lease_token", Uuid, nullable=True),
    Column("claimed_by", Uuid, nullable=True),  # the worker process staging it (core.heartbeat)
    Index("ix_data_suborder_state_due_at", "state", "due_at"),
    Index("ix_data_suborder_claimed_by", "claimed_by", "state"),
    Index("ix_data_suborder_owner_state", "owner", "state"),
    Index("ix_data_suborder_order_id", "order_id"),
)

IN_ERROR = "state IN ('ERROR', 'DOWNLOAD_ERROR')"
"""Files that failed to stage or to download (rules.files.RETRIED). A query of them repeats this
condition word for word, so that both databases see that the partial index below covers it."""

data_order_file = Table(
    "data_order_file",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("order_id", Integer, ForeignKey("data_order.id", ondelete="CASCADE"), nullable=False),
    Column("suborder_id", Integer, ForeignKey("data_suborder.id", ondelete="CASCADE"), nullable=False),
    # A copy of the catalogue entry as ordered: the catalogue may change afterwards.
    Column("catalog_file_id", Uuid, nullable=False),
    Column("dataset", String(200), nullable=False),
    Column("product_id", String(255), nullable=False),
    Column("filename", String(255), nullable=False),
    Column("storage_key", Text, nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("mime_type", String(100), nullable=False),
    Column("md5", String(32), nullable=False),
    Column("state", String(16), nullable=False),
    Column("state_changed_at", UTCDateTime, nullable=False),
    Column("error", Text, nullable=True),
    # An order's files by state, and in pages by (state, id) (the console's order page).
    Index("ix_data_order_file_order_id_state_id", "order_id", "state", "id"),
    Index("ix_data_order_file_suborder_id", "suborder_id"),
    # Only files in error, newest first (the console's failures page).
    Index(
        "ix_data_order_file_in_error_state_changed_at",
        "state_changed_at",
        "id",
        postgresql_where=text(IN_ERROR),
        sqlite_where=text(IN_ERROR),
    ),
)
