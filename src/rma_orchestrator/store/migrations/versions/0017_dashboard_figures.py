"""dashboard figures: each case keeps its time to first response and to resolution in seconds
(``first_response_seconds``, ``resolution_seconds``, set by the step that ends them), each timer and
satisfaction score its case's registration (``case_started_at``), so that the managers' dashboard
reads a period of a year from indexes alone instead of joining every case to its tasks, timers and
scores (1.5-2.3 s for 100,000 cases); filled in for the rows already there, with the same seconds
the steps compute. Indexes: the dashboard index gets the two figures, and a copy of it in the order
a period's pass groups by (reason, product category); each figure in its own order (its median and
90th percentile); a case's kind and registration (the repair figures) and a case's repair attempts
with their days; the SLA timers and the scores by registration, and the SLA timers in their order;
open tasks by step with the step's name (the open cases by step, 40-60 ms reading the task rows)

Revision ID: 0017
Revises: 0014
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

FIRST_RESPONSE_STEPS = "('review_case', 'request_documents')"  # store/dashboard.py's, completed tasks
DASHBOARD = ["started_at", "kind", "reason", "product_category", "status", "outcome", "ended_at"]
FIGURES = ["first_response_seconds", "resolution_seconds"]
NEW_INDEXES = (
    (
        "ix_process_instance_dashboard_groups",
        "process_instance",
        ["reason", "product_category", "started_at", "kind", "outcome", *FIGURES],
    ),
    ("ix_process_instance_kind_started", "process_instance", ["kind", "started_at", "status"]),
    (
        "ix_process_instance_first_response",
        "process_instance",
        ["first_response_seconds", "started_at", "kind"],
    ),
    ("ix_process_instance_resolution", "process_instance", ["resolution_seconds", "started_at", "kind"]),
    ("ix_product_repair_case", "product_repair", ["instance_id", "days", "fixed"]),
    ("ix_human_task_step_names", "human_task", ["status", "element_id", "instance_id", "name"]),
    ("ix_timer_case_sla", "timer", ["case_started_at", "sla", "status"]),
    ("ix_timer_sla_case", "timer", ["sla", "status", "case_started_at"]),
    ("ix_satisfaction_score_case", "satisfaction_score", ["case_started_at", "score", "reached"]),
)
PARTIAL = {  # an index of the rows that have the value
    "ix_process_instance_first_response": "first_response_seconds IS NOT NULL",
    "ix_process_instance_resolution": "resolution_seconds IS NOT NULL",
    "ix_timer_case_sla": "sla IS NOT NULL",
    "ix_timer_sla_case": "sla IS NOT NULL",
}
REGISTERED = ("timer", "satisfaction_score")  # rows that carry their case's registration


def _seconds(dialect: str, later: str, earlier: str) -> str:
    """``later - earlier`` in seconds, exactly as Python's ``timedelta.total_seconds()`` gives it.

    SQLite keeps ``YYYY-MM-DD HH:MM:SS.ffffff`` text: whole seconds and microseconds apart, then one
    division (julianday() would be off in the last digits). PostgreSQL's epoch of an interval is an
    exact numeric.
    """
    if dialect == "sqlite":
        whole = f"CAST(strftime('%s', {later}) AS INTEGER) - CAST(strftime('%s', {earlier}) AS INTEGER)"
        micro = f"CAST(substr({later}, 21, 6) AS INTEGER) - CAST(substr({earlier}, 21, 6) AS INTEGER)"
        return f"((({whole}) * 1000000 + ({micro})) / 1000000.0)"
    return f"CAST(EXTRACT(EPOCH FROM {later} - {earlier}) AS DOUBLE PRECISION)"


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.add_column("process_instance", sa.Column("first_response_seconds", sa.Double(), nullable=True))
    op.add_column("process_instance", sa.Column("resolution_seconds", sa.Double(), nullable=True))
    for table in REGISTERED:
        op.add_column(table, sa.Column("case_started_at", sa.DateTime(timezone=True), nullable=True))
    answered = (
        "SELECT min(t.completed_at) FROM human_task t WHERE t.instance_id = process_instance.id"
        f" AND t.element_id IN {FIRST_RESPONSE_STEPS} AND t.status = 'completed'"
    )
    ended = "process_instance.status = 'completed' AND process_instance.ended_at IS NOT NULL"
    # One UPDATE, and only of the rows that get a figure: each rewrite of a case row is costly.
    op.execute(
        "UPDATE process_instance SET"
        f" first_response_seconds = {_seconds(dialect, f'({answered})', 'process_instance.started_at')},"
        " resolution_seconds = CASE WHEN"
        f" {ended} THEN {_seconds(dialect, 'process_instance.ended_at', 'process_instance.started_at')} END"
        f" WHERE ({ended}) OR process_instance.id IN (SELECT instance_id FROM human_task"
        f" WHERE element_id IN {FIRST_RESPONSE_STEPS} AND status = 'completed')"
    )
    for table in REGISTERED:
        op.execute(
            f"UPDATE {table} SET case_started_at = (SELECT p.started_at FROM process_instance p"
            f" WHERE p.id = {table}.instance_id)"
            f" WHERE {table}.instance_id IN (SELECT id FROM process_instance WHERE kind IS NOT NULL)"
        )
    op.drop_index("ix_process_instance_dashboard", table_name="process_instance")
    op.create_index("ix_process_instance_dashboard", "process_instance", [*DASHBOARD, *FIGURES])
    for name, table, columns in NEW_INDEXES:
        where = sa.text(PARTIAL[name]) if name in PARTIAL else None
        op.create_index(name, table, columns, sqlite_where=where, postgresql_where=where)
    if dialect == "postgresql":
        # The backfill rewrote the rows: until autovacuum comes round, every index-only scan would
        # visit the table as well, and the planner would not know the new columns.
        with op.get_context().autocommit_block():
            for table in ("process_instance", *REGISTERED):
                op.execute(f"VACUUM (ANALYZE) {table}")


def downgrade() -> None:
    for name, table, _columns in reversed(NEW_INDEXES):
        op.drop_index(name, table_name=table)
    op.drop_index("ix_process_instance_dashboard", table_name="process_instance")
    op.create_index("ix_process_instance_dashboard", "process_instance", DASHBOARD)
    for table in REGISTERED:  # SQLite 3.35+ drops the columns in place (no table copy)
        op.drop_column(table, "case_started_at")
    op.drop_column("process_instance", "resolution_seconds")
    op.drop_column("process_instance", "first_response_seconds")
