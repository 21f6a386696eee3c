"""case reason: the case's ``reason`` (no_reason, quality_on_receipt, ...) copied out of its data
into a column, like kind and product category, so the managers' dashboard counts return rates by
reason with an aggregate instead of reading every case's JSON; filled in for the cases already
there; an index on the registration time with what the dashboard groups by, and one on a case's
tasks by element with their completion (the time to first response), and one on a case's SLA
timers (the breach rates)

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

INDEXES = (
    (
        "ix_process_instance_dashboard",
        "process_instance",
        ["started_at", "kind", "reason", "product_category", "status", "outcome", "ended_at"],
    ),
    ("ix_human_task_instance_element", "human_task", ["instance_id", "element_id", "completed_at"]),
    ("ix_timer_instance_sla", "timer", ["instance_id", "sla", "status"]),
)


def upgrade() -> None:
    op.add_column("process_instance", sa.Column("reason", sa.String(40), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        op.execute("UPDATE process_instance SET reason = substr(json_extract(data, '$.reason'), 1, 40)")
    else:
        op.execute("UPDATE process_instance SET reason = left(data ->> 'reason', 40)")
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    op.drop_column("process_instance", "reason")  # SQLite 3.35+ drops it in place (no table copy)
