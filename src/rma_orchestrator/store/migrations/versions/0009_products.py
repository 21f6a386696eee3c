"""products: a record per serial number with its cases, repairs and exchanges; satisfaction scores

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _when() -> sa.Column[object]:
    return sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False)


def _from_case(required: bool = False) -> list[sa.Column[object]]:
    """The case an entry came from and its position in the case's ``case_records`` (null for seeds)."""
    return [
        sa.Column("instance_id", sa.Integer(), sa.ForeignKey("process_instance.id"), nullable=not required),
        sa.Column("business_key", sa.String(length=120), nullable=not required),
        sa.Column("entry_no", sa.Integer(), nullable=not required),
    ]


def upgrade() -> None:
    op.create_table(
        "product",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("serial_no", sa.String(length=120), nullable=False, unique=True),
        sa.Column("sku", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("category", sa.String(length=40), nullable=True),
        sa.Column("warranty_start_on", sa.Date(), nullable=True),
        sa.Column("warranty_months", sa.Integer(), nullable=True),
        sa.Column("replaced_by", sa.String(length=120), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "product_case",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("product_id", sa.Integer(), sa.ForeignKey("product.id"), nullable=False),
        sa.Column("instance_id", sa.Integer(), sa.ForeignKey("process_instance.id"), nullable=False),
        sa.Column("business_key", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=True),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("product_id", "instance_id"),
    )
    op.create_index("ix_product_case_product_id", "product_case", ["product_id"])
    op.create_index("ix_product_case_instance_id", "product_case", ["instance_id"])
    op.create_table(
        "product_repair",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("product_id", sa.Integer(), sa.ForeignKey("product.id"), nullable=False),
        *_from_case(),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("in_warranty", sa.Boolean(), nullable=False),
        sa.Column("fixed", sa.Boolean(), nullable=False),
        _when(),
        sa.UniqueConstraint("instance_id", "entry_no"),
    )
    op.create_index("ix_product_repair_product_id", "product_repair", ["product_id"])
    op.create_table(
        "product_exchange",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("product_id", sa.Integer(), sa.ForeignKey("product.id"), nullable=False),
        *_from_case(),
        sa.Column("exchanged_on", sa.Date(), nullable=False),
        sa.Column("new_serial_no", sa.String(length=120), nullable=True),
        _when(),
        sa.UniqueConstraint("instance_id", "entry_no"),
    )
    op.create_index("ix_product_exchange_product_id", "product_exchange", ["product_id"])
    op.create_table(
        "satisfaction_score",
        sa.Column("id", sa.Integer(), primary_key=True),
        *_from_case(required=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("reached", sa.Boolean(), nullable=False),
        _when(),
        sa.UniqueConstraint("instance_id", "entry_no"),
    )
    op.create_index("ix_satisfaction_score_instance_id", "satisfaction_score", ["instance_id"])


def downgrade() -> None:
    for table in ("satisfaction_score", "product_exchange", "product_repair", "product_case", "product"):
        op.drop_table(table)
