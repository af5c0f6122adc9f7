"""Tables of the data-order family."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
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
