"""case reason: the case's ``reason`` (no_reason, quality_on_receipt, ...) copied out of its data
into a column, like kind and product category, so the managers' dashboard counts return rates by
reason with an aggregate instead of reading every case's JSON; filled in for the cases already
there; an index on the registration time with what the dashboard groups by

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0010"
branch_labels = None
depends_on = None

INDEX = (
    "ix_process_instance_dashboard",
    ["started_at", "kind", "reason", "product_category", "status", "outcome"],
)


def upgrade() -> None:
    op.add_column("process_instance", sa.Column("reason", sa.String(40), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        op.execute("UPDATE process_instance SET reason = substr(json_extract(data, '$.reason'), 1, 40)")
    else:
        op.execute("UPDATE process_instance SET reason = left(data ->> 'reason', 40)")
    op.create_index(INDEX[0], "process_instance", INDEX[1], unique=False)


def downgrade() -> None:
    op.drop_index(INDEX[0], table_name="process_instance")
    op.drop_column("process_instance", "reason")  # SQLite 3.35+ drops it in place (no table copy)
