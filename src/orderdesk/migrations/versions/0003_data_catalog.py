"""The data catalogue (datasets and their files) and the users' baskets.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from orderdesk.core.db import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "catalog_dataset",
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("imported_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_catalog_dataset"),
    )
    op.create_table(
        "catalog_file",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("dataset", sa.String(200), nullable=False),
        sa.Column("product_id", sa.String(255), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("storage_key", sa.Text(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("mime_type", sa.String(100), nullable=False),
        sa.Column("md5", sa.String(32), nullable=False),
        sa.Column("imported_at", UTCDateTime(), nullable=False),
        sa.Column("removed_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["dataset"],
            ["catalog_dataset.name"],
            name="fk_catalog_file_dataset_catalog_dataset",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_catalog_file"),
        sa.UniqueConstraint("dataset", "storage_key", name="uq_catalog_file_dataset_storage_key"),
    )
    op.create_index("ix_catalog_file_dataset_product_id", "catalog_file", ["dataset", "product_id"])
    op.create_table(
        "basket_selection",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner", sa.String(320), nullable=False),
        sa.Column("dataset", sa.String(200), nullable=False),
        sa.Column("product_ids", sa.JSON(), nullable=True),
        sa.Column("filename_pattern", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset"],
            ["catalog_dataset.name"],
            name="fk_basket_selection_dataset_catalog_dataset",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_basket_selection"),
    )
    op.create_index("ix_basket_selection_owner", "basket_selection", ["owner"])


def downgrade() -> None:
    op.drop_index("ix_basket_selection_owner", table_name="basket_selection")
    op.drop_table("basket_selection")
    op.drop_index("ix_catalog_file_dataset_product_id", table_name="catalog_file")
    op.drop_table("catalog_file")
    op.drop_table("catalog_dataset")
